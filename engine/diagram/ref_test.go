package diagram

// The diagram as it was drawn before svg.go wrote into a byte buffer
// (fmt.Fprintf per element) and before units.go's analysis was trimmed:
// kept here as the reference the fast path must agree with, byte for byte
// (TestSVGMatchesReference, FuzzSVGMatchesReference).

import (
	"fmt"
	"html"
	"html/template"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wirebook/wirebook/protocols"
)

// refSVG draws the events as a sequence diagram. The result holds only
// escaped text and fixed markup; ids are not used, so any number of
// diagrams can share a page.
func refSVG(events []protocols.Event, proto string) template.HTML {
	units := refUnits(events, proto)
	cmds := refCommands(units)
	h := top + rowH*len(units) + 16
	var b strings.Builder
	b.Grow(400 * (len(units) + 2))
	sum := refSummary(units, proto)
	fmt.Fprintf(&b, `<svg class="wb-diagram-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" font-family="ui-monospace, monospace" font-size="12" fill="currentColor" stroke="currentColor">`,
		width, h, refAttr(sum))
	fmt.Fprintf(&b, `<title>%s</title>`, refEsc(sum))
	// Lane heads and lifelines; after a TLS mark the lifelines are drawn
	// thick: from there on the lines crossed encrypted.
	fmt.Fprintf(&b, `<g class="wb-d-head" stroke="none"><text x="%d" y="18" text-anchor="middle" font-weight="bold">client</text><text x="%d" y="18" text-anchor="middle" font-weight="bold">server</text></g>`, clientX, serverX)
	lifeFrom, thick := top-14, false
	lifeline := func(to int) {
		w := "1"
		cls := "wb-d-life"
		if thick {
			w, cls = "3", "wb-d-life wb-d-secure"
		}
		for _, x := range []int{clientX, serverX} {
			fmt.Fprintf(&b, `<line class="%s" x1="%d" y1="%d" x2="%d" y2="%d" stroke-width="%s" stroke-opacity="0.55"/>`, cls, x, lifeFrom, x, to, w)
		}
		lifeFrom = to
	}
	for i, u := range units {
		if u.Kind == KindTLS {
			lifeline(top + rowH*i + rowH/2)
			thick = true
		}
	}
	lifeline(h - 8)

	for i, u := range units {
		y := top + rowH*i + rowH/2
		switch u.Kind {
		case KindCommand, KindBody, KindReply, KindUntagged:
			refArrow(&b, units, cmds, i, y)
		default:
			refMark(&b, u, y)
		}
	}
	refPipelineBrackets(&b, units)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // #nosec G203 -- fixed markup and escaped text only
}

// refFigure is refSVG inside a <details> that is closed by default, for under
// a transcript: the transcript stays the text, the picture is one click
// away and prints (print CSS opens it).
func refFigure(events []protocols.Event, proto string) template.HTML {
	return template.HTML(`<details class="wb-diagram"><summary>Sequence diagram</summary>` + string(refSVG(events, proto)) + `</details>`) // #nosec G203 -- SVG escapes
}

func refSummary(units []Unit, proto string) string {
	c, s := 0, 0
	for _, u := range units {
		switch u.Kind {
		case KindCommand, KindBody:
			c++
		case KindReply, KindUntagged:
			s++
		}
	}
	return fmt.Sprintf("Sequence diagram of the %s session: %d client arrows, %d server arrows, in the order they crossed the wire", refFamily(proto), c, s)
}

func refArrow(b *strings.Builder, units []Unit, cmds []int, i, y int) {
	u := units[i]
	fromC := u.Kind == KindCommand || u.Kind == KindBody
	x1, x2 := clientX, serverX
	if !fromC {
		x1, x2 = serverX, clientX
	}
	cls := "wb-d-arrow wb-d-" + u.Kind
	if u.Negative {
		cls += " wb-d-neg"
	}
	if u.Pipelined {
		cls += " wb-d-pipelined"
	}
	fmt.Fprintf(b, `<g class="%s" data-ev="%d" data-kind="%s" data-seq="%d" data-answers="%d"><title>%s</title>`,
		cls, u.First, u.Kind, u.Seq, u.Answers, refEsc(refArrowTitle(units, cmds, i)))
	dash := ""
	if u.Kind == KindUntagged {
		dash = ` stroke-dasharray="5 4"`
	}
	tip := x2 - 8
	if !fromC {
		tip = x2 + 8
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke-width="1.5"%s/>`, x1, y, tip, y, dash)
	fmt.Fprintf(b, `<path d="M%d %dL%d %dL%d %dZ" stroke="none"/>`, x2, y, tip, y-4, tip, y+4)
	label := refClip(u.Text)
	if u.Lines > 1 {
		label += " " + refCountLabel(u)
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" stroke="none" xml:space="preserve">%s</text>`, (clientX+serverX)/2, y-5, refEsc(label))
	// The number that links a command and its replies, in the gutter
	// beside the client lane.
	if u.Seq > 0 {
		fmt.Fprintf(b, `<text class="wb-d-seq" x="%d" y="%d" text-anchor="end" stroke="none" font-weight="bold">%d</text>`, clientX-8, y+4, u.Seq)
	} else if u.Answers > 0 {
		fmt.Fprintf(b, `<text class="wb-d-seq" x="%d" y="%d" text-anchor="end" stroke="none">↩%d</text>`, clientX-8, y+4, u.Answers)
	}
	b.WriteString(`</g>`)
}

func refCountLabel(u Unit) string {
	return fmt.Sprintf("[%d lines, %s bytes]", u.Lines, strconv.Itoa(u.Bytes))
}

func refArrowTitle(units []Unit, cmds []int, i int) string {
	u := units[i]
	var t strings.Builder
	switch u.Kind {
	case KindCommand:
		fmt.Fprintf(&t, "client → server, command %d", u.Seq)
		if u.Pipelined {
			t.WriteString(", pipelined: sent right behind the line before, without waiting for its reply")
		}
	case KindBody:
		t.WriteString("client → server, continuing the command before")
	case KindReply:
		t.WriteString("server → client, reply")
		if u.Tag != "" {
			fmt.Fprintf(&t, " tagged %s", u.Tag)
		}
	case KindUntagged:
		t.WriteString("server → client, untagged data (no tag)")
	}
	if u.Answers > 0 {
		if c := refCommand(units, cmds, u.Answers); c != nil {
			if u.Kind == KindUntagged {
				fmt.Fprintf(&t, ", sent while command %d (%s) was waiting for its completion", u.Answers, refClip(c.Text))
			} else {
				fmt.Fprintf(&t, ", answers command %d (%s)", u.Answers, refClip(c.Text))
			}
		}
	}
	if u.Negative {
		t.WriteString(", a refusal")
	}
	if u.Lines > 1 {
		fmt.Fprintf(&t, "; %d lines, %d bytes on the wire", u.Lines, u.Bytes)
	}
	t.WriteString(": ")
	t.WriteString(u.Text)
	return t.String()
}

// commands maps each command's number to its unit: a reply's link is
// found in constant time, so a long session stays linear.
func refCommands(units []Unit) []int {
	idx := []int{-1}
	for i, u := range units {
		if u.Seq > 0 {
			idx = append(idx, i)
		}
	}
	return idx
}

func refCommand(units []Unit, cmds []int, seq int) *Unit {
	if seq <= 0 || seq >= len(cmds) {
		return nil
	}
	return &units[cmds[seq]]
}

// mark draws a note across both lanes: connection opened or closed, TLS
// started, an error.
func refMark(b *strings.Builder, u Unit, y int) {
	// Geometric shapes, not emoji: they are in the monospace fonts a
	// system has, so they never show as a missing glyph.
	icon := map[string]string{KindOpen: "▶ ", KindTLS: "◆ ", KindClose: "■ ", KindError: "✗ ", KindNote: ""}[u.Kind]
	fmt.Fprintf(b, `<g class="wb-d-mark wb-d-%s" data-ev="%d" data-kind="%s"><title>%s</title>`, u.Kind, u.First, u.Kind, refEsc(u.Text))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="currentColor" fill-opacity="0.08" stroke-opacity="0.4"/>`, clientX-20, y-9, serverX-clientX+40, 16)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" stroke="none" xml:space="preserve">%s</text>`, (clientX+serverX)/2, y+4, refEsc(icon+refClip(u.Text)))
	b.WriteString(`</g>`)
}

// pipelineBrackets marks each group of commands that left together: the
// first command and the C+ lines right behind it.
func refPipelineBrackets(b *strings.Builder, units []Unit) {
	for i := 0; i < len(units); i++ {
		if units[i].Kind != KindCommand {
			continue
		}
		j := i + 1
		for j < len(units) && units[j].Kind == KindCommand && units[j].Pipelined {
			j++
		}
		if j-i > 1 {
			y1, y2 := top+rowH*i+rowH/2-6, top+rowH*(j-1)+rowH/2+6
			x := clientX - 34
			fmt.Fprintf(b, `<g class="wb-d-group" data-from="%d" data-to="%d"><title>%d commands sent together, before any reply</title><path d="M%d %dH%dV%dH%d" fill="none" stroke-width="1.5"/><text x="%d" y="%d" text-anchor="middle" stroke="none" font-size="10" transform="rotate(-90 %d %d)">together</text></g>`,
				units[i].Seq, units[j-1].Seq, j-i, x+6, y1, x, y2, x+6, x-6, (y1+y2)/2, x-6, (y1+y2)/2)
		}
		i = j - 1
	}
}

// clip shortens a line to maxText runes for its arrow.
func refClip(s string) string {
	s = refVisible(s)
	if utf8.RuneCountInString(s) <= maxText {
		return s
	}
	r := []rune(s)
	return string(r[:maxText-1]) + "…"
}

// visible shows control characters as escapes and invalid UTF-8 as U+FFFD:
// server bytes are untrusted.
func refVisible(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexFunc(s, refIsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if refIsControl(r) {
			fmt.Fprintf(&b, `\x%02x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func refIsControl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 }

func refEsc(s string) string  { return html.EscapeString(refVisible(s)) }
func refAttr(s string) string { return html.EscapeString(refVisible(s)) }

// refUnits groups events into the arrows and marks of the diagram, and links
// each reply to the command it answers: by tag for IMAP completions, else
// in order (the oldest command without an answer), as the protocols
// require of pipelined commands.
func refUnits(events []protocols.Event, proto string) []Unit {
	p := refFamily(proto)
	var out []Unit
	var pending []int // indexes in out of commands awaiting a reply
	seq := 0
	goOn := "" // an intermediate reply (354, 334, IMAP "+") was the last: the client's next lines continue its command
	for i := 0; i < len(events); i++ {
		ev := events[i]
		if ev.Kind == protocols.Client && goOn == "354" && p == "smtp" {
			// The message after DATA's 354: every line up to the lone ".".
			u := Unit{Kind: KindBody, First: i, Text: ev.Text}
			for ; i < len(events) && events[i].Kind == protocols.Client; i++ {
				u.Lines++
				u.Payload++
				u.Bytes += refLineBytes(events[i])
				if events[i].Text == "." {
					break
				}
			}
			if i == len(events) || events[i].Kind != protocols.Client {
				i--
			}
			goOn = ""
			out = append(out, u)
			continue
		}
		if ev.Kind == protocols.Note {
			out = append(out, Unit{Kind: refNoteKind(ev.Text), First: i, Lines: 1, Text: ev.Text})
			continue
		}
		u := Unit{First: i, Lines: 1, Text: ev.Text, Bytes: refLineBytes(ev)}
		if ev.Payload {
			u.Payload = 1
		}
		j := i + 1
		for j < len(events) && events[j].Kind == ev.Kind && refContinues(p, events[j-1], events[j]) {
			u.Lines++
			u.Bytes += refLineBytes(events[j])
			if events[j].Payload {
				u.Payload++
			}
			j++
		}
		i = j - 1
		if ev.Kind == protocols.Client {
			if ev.Payload || (goOn != "" && !ev.Pipelined) {
				// A literal, a SASL answer: part of the command before.
				goOn = ""
				u.Kind = KindBody
				out = append(out, u)
				continue
			}
			seq++
			u.Kind, u.Seq, u.Pipelined = KindCommand, seq, ev.Pipelined
			if p == "imap" {
				u.Tag, _, _ = strings.Cut(ev.Text, " ")
			}
			pending = append(pending, len(out))
			out = append(out, u)
			continue
		}
		u.Kind = KindReply
		u.Negative = refNegative(p, ev.Text)
		if p == "imap" {
			tag, rest, _ := strings.Cut(ev.Text, " ")
			if tag == "+" {
				goOn = "+"
			}
			if tag == "*" || tag == "+" {
				u.Kind = KindUntagged
				u.Negative = false
				if tag == "*" && (strings.HasPrefix(rest, "NO ") || strings.HasPrefix(rest, "BAD ")) {
					u.Negative = true
				}
				if len(pending) > 0 {
					u.Answers = out[pending[0]].Seq
				}
				out = append(out, u)
				continue
			}
			u.Tag = tag
			for k, c := range pending {
				if out[c].Tag == tag {
					u.Answers = out[c].Seq
					pending = append(pending[:k], pending[k+1:]...)
					break
				}
			}
			out = append(out, u)
			continue
		}
		if p == "smtp" && refSmtpIntermediate(ev.Text) {
			goOn = ev.Text[:3]
			// 354: the command goes on (its body, then ".") and gets a
			// second reply.
			if len(pending) > 0 {
				u.Answers = out[pending[0]].Seq
			}
			out = append(out, u)
			continue
		}
		if len(pending) > 0 {
			u.Answers = out[pending[0]].Seq
			pending = pending[1:]
		}
		out = append(out, u)
	}
	return out
}

func refLineBytes(ev protocols.Event) int { return ev.WireLen() }

func refFamily(proto string) string {
	p := strings.ToLower(proto)
	switch {
	case strings.HasPrefix(p, "smtp"), p == "submission", p == "lmtp":
		return "smtp"
	case strings.HasPrefix(p, "pop3"):
		return "pop3"
	case strings.HasPrefix(p, "imap"):
		return "imap"
	case strings.HasPrefix(p, "http"):
		return "http"
	}
	return p
}

func refNoteKind(text string) string {
	switch {
	case strings.HasPrefix(text, "connected to"):
		return KindOpen
	case strings.HasPrefix(text, "TLS handshake failed"), strings.HasPrefix(text, "error"):
		return KindError
	case strings.HasPrefix(text, "TLS "):
		return KindTLS
	case strings.HasPrefix(text, "connection closed"), strings.HasPrefix(text, "closed"):
		return KindClose
	}
	return KindNote
}

// continues reports whether next belongs to the same arrow as prev (both
// of one kind): body and literal lines always do; otherwise each protocol's
// framing decides.
func refContinues(p string, prev, next protocols.Event) bool {
	if next.Payload {
		return true
	}
	if next.Kind == protocols.Client {
		switch p {
		case "http":
			// Headers and the empty line go with their request line; a
			// new request line starts a new arrow.
			return !refHttpRequestLine(next.Text)
		}
		return false
	}
	switch p {
	case "smtp":
		return len(prev.Text) >= 4 && prev.Text[3] == '-' && refIsDigits(prev.Text[:3])
	case "pop3":
		// A multi-line reply ends with "."; the lines up to it are
		// its payload.
		return prev.Payload
	case "imap":
		// The rest of a response after a literal: ")" or more items.
		return prev.Payload && !refImapResponseStart(next.Text)
	case "http":
		return !strings.HasPrefix(next.Text, "HTTP/")
	}
	return false
}

func refHttpRequestLine(s string) bool {
	m, rest, ok := strings.Cut(s, " ")
	if !ok || m == "" || strings.ToUpper(m) != m {
		return false
	}
	return strings.Contains(rest, " HTTP/")
}

func refImapResponseStart(s string) bool {
	tag, rest, ok := strings.Cut(s, " ")
	if !ok {
		return false
	}
	if tag == "*" || tag == "+" {
		return true
	}
	for _, w := range []string{"OK", "NO", "BAD", "BYE", "PREAUTH"} {
		if strings.HasPrefix(rest, w+" ") || rest == w {
			return true
		}
	}
	return false
}

func refIsDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func refSmtpIntermediate(s string) bool {
	return len(s) >= 3 && (s[:3] == "354" || s[:3] == "334")
}

// refNegativeLine reports whether a server line is a refusal (the transcript
// marks the whole line).
func refNegativeLine(proto, line string) bool { return refNegative(refFamily(proto), line) }

// negative reports a refusal: an SMTP 4xx/5xx, POP3 -ERR, an IMAP NO or
// BAD completion, an HTTP 4xx/5xx status.
func refNegative(p, s string) bool {
	switch p {
	case "smtp":
		return len(s) >= 3 && (s[0] == '4' || s[0] == '5') && refIsDigits(s[:3])
	case "pop3":
		return strings.HasPrefix(s, "-ERR")
	case "imap":
		_, rest, _ := strings.Cut(s, " ")
		return strings.HasPrefix(rest, "NO") || strings.HasPrefix(rest, "BAD")
	case "http":
		f := strings.Fields(s)
		return len(f) >= 2 && strings.HasPrefix(f[0], "HTTP/") && len(f[1]) == 3 && (f[1][0] == '4' || f[1][0] == '5')
	}
	return false
}
