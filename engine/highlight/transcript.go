package highlight

import (
	"html/template"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"

	"github.com/wirebook/wirebook/engine/diagram"
	"github.com/wirebook/wirebook/protocols"
)

// DefaultFoldLines is the longest run of body lines shown unfolded.
const DefaultFoldLines = 8

// TranscriptOptions tune Transcript.
type TranscriptOptions struct {
	// FoldLines: runs of more than this many consecutive payload lines
	// are folded into a <details>. 0 means DefaultFoldLines; negative
	// never folds.
	FoldLines int
	// Open shows folded bodies unfolded (the block's open attribute): the
	// fold stays, so a reader can still close it.
	Open bool
}

// prefixLen is the length of "C: ", "C+ ", "S: " and "N: " in the lexed text.
const prefixLen = 3

// Transcript renders events as a <pre class="wb-transcript">, one
// <span class="wb-line"> per event, its C:/C+/S:/N: prefix as text in a
// gutter: a copy keeps who said what and a screen reader reads it (the
// copy button copies the client lines without it). Everything is escaped and control
// characters are shown as visible escapes.
func Transcript(events []protocols.Event, proto string, opts TranscriptOptions) template.HTML {
	fold := opts.FoldLines
	if fold == 0 {
		fold = DefaultFoldLines
	}
	clean := make([]string, len(events))
	subs := make([][]sub, len(events))
	var src strings.Builder
	size := 0
	for _, ev := range events {
		size += len(ev.Text) + 4
	}
	src.Grow(size)
	for i, ev := range events {
		clean[i], subs[i] = neutralise(ev.Text)
		src.WriteString(ev.Prefix())
		src.WriteString(" ")
		src.WriteString(clean[i])
		src.WriteByte('\n')
	}
	lines := lexLines(Lexer(proto), src.String(), len(events))

	var b strings.Builder
	// About twice the text: the markup of each line and its tokens.
	b.Grow(2*size + 120*len(events) + 64)
	b.WriteString(`<pre class="wb-transcript" data-proto="`)
	b.WriteString(attrWord(proto))
	b.WriteString(`"><code>`)
	for i := 0; i < len(events); {
		if !events[i].Payload {
			writeLine(&b, events[i], proto, clean[i], lines[i], subs[i])
			i++
			continue
		}
		j := i + 1
		for j < len(events) && events[j].Payload && events[j].Kind == events[i].Kind {
			j++
		}
		folded := fold > 0 && j-i > fold
		if folded {
			writeFold(&b, events[i:j], proto, opts.Open)
		}
		for k := i; k < j; k++ {
			writeLine(&b, events[k], proto, clean[k], lines[k], subs[k])
		}
		if folded {
			b.WriteString(`</details>`)
		}
		i = j
	}
	b.WriteString(`</code></pre>`)
	return template.HTML(b.String()) // #nosec G203 -- built from escaped text only
}

// attrWord keeps the letters, digits and dashes of a protocol name: it
// is only a hook for CSS, never a place for markup.
func attrWord(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, s)
}

// writeFold opens the <details> for a run of payload lines; its summary
// counts the lines and the bytes on the wire (each line with the line end
// it really had).
func writeFold(b *strings.Builder, run []protocols.Event, proto string, open bool) {
	n := 0
	for _, ev := range run {
		n += ev.WireLen()
	}
	label := "message body"
	if baseProto(proto) == "http" {
		label = "body"
	}
	if open {
		b.WriteString(`<details class="wb-payload" open><summary>`)
	} else {
		b.WriteString(`<details class="wb-payload"><summary>`)
	}
	b.WriteString(label)
	b.WriteString(" — ")
	b.WriteString(strconv.Itoa(len(run)))
	b.WriteString(" lines, ")
	b.WriteString(groupThousands(n))
	b.WriteString(" bytes</summary>")
}

// groupThousands writes n with a space between groups of three digits.
func groupThousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func lineClass(ev protocols.Event, proto string) string {
	switch ev.Kind {
	case protocols.Client:
		return "wb-line wb-c"
	case protocols.Server:
		if !ev.Payload && diagram.Negative(proto, ev.Text) {
			// A refusal: the whole line is marked, not only its code.
			return "wb-line wb-s wb-neg"
		}
		return "wb-line wb-s"
	case protocols.Note:
		if strings.HasPrefix(ev.Text, "error") {
			return "wb-line wb-n wb-err"
		}
		return "wb-line wb-n"
	}
	return "wb-line"
}

func writeLine(b *strings.Builder, ev protocols.Event, proto, clean string, toks []chroma.Token, subs []sub) {
	cls := lineClass(ev, proto)
	if ev.Payload {
		cls += " wb-p"
	}
	b.WriteString(`<span class="`)
	b.WriteString(cls)
	// The gutter is text, so a copy keeps the role and a screen reader
	// reads it; the figure's legend says what the letters stand for.
	b.WriteString(`"><span class="wb-gutter">`)
	b.WriteString(ev.Prefix())
	b.WriteString(` </span><span class="wb-text">`)
	w := &htmlWriter{b: b, subs: subs}
	if ev.Payload {
		// Body lines are data: the lexer's guess at their structure is
		// not shown.
		w.text(clean)
	} else {
		for _, t := range toks {
			if cls := tokenClass(t.Type); cls != "" {
				b.WriteString(`<span class="`)
				b.WriteString(cls)
				b.WriteString(`">`)
				w.text(t.Value)
				b.WriteString(`</span>`)
			} else {
				w.text(t.Value)
			}
		}
	}
	if ev.NoEOL {
		b.WriteString(`<span class="wb-noeol" title="no line end: the bytes stopped here"></span>`)
	}
	b.WriteString("\n</span></span>")
}

// lexLines tokenises src (n lines, each "X: text\n") and returns each
// line's tokens without the prefix and the line end.
func lexLines(l chroma.Lexer, src string, n int) [][]chroma.Token {
	out := make([][]chroma.Token, n)
	it, err := l.Tokenise(nil, src)
	if err != nil {
		return out
	}
	line, skip := 0, prefixLen
	for t := it(); t != chroma.EOF && line < n; t = it() {
		v := t.Value
		for v != "" && line < n {
			nl := strings.IndexByte(v, '\n')
			part := v
			if nl >= 0 {
				part = v[:nl]
			}
			// Drop the prefix runes at the start of each line.
			for skip > 0 && part != "" {
				_, size := utf8.DecodeRuneInString(part)
				part = part[size:]
				skip--
			}
			if part != "" {
				out[line] = append(out[line], chroma.Token{Type: t.Type, Value: part})
			}
			if nl < 0 {
				break
			}
			v = v[nl+1:]
			line++
			skip = prefixLen
		}
	}
	return out
}

// tokenClass is chroma's CSS class for a token type, looked up through its
// parent types as chroma's HTML formatter does.
func tokenClass(t chroma.TokenType) string {
	for ; t != 0; t = t.Parent() {
		if cls, ok := chroma.StandardTypes[t]; ok {
			return cls
		}
	}
	return chroma.StandardTypes[t]
}
