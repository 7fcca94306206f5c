package diagram

import (
	"html/template"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/wirebook/wirebook/protocols"
)

// Geometry of the drawing, in SVG user units (px at 100%).
const (
	width   = 720
	clientX = 70
	serverX = 650
	top     = 44 // below the lane heads
	rowH    = 28
	maxText = 64 // runes of a line shown on an arrow; the whole line is in its <title>
)

// SVG draws the events as a sequence diagram. The result holds only
// escaped text and fixed markup; ids are not used, so any number of
// diagrams can share a page.
//
// The drawing is written straight into one buffer grown once to about its
// size: no fmt, no string per element (a course draws thousands).
func SVG(events []protocols.Event, proto string) template.HTML {
	return draw(events, proto, "", "")
}

const (
	figureOpen  = `<details class="wb-diagram"><summary>Sequence diagram</summary>`
	figureClose = `</details>`
)

// Figure is SVG inside a <details> that is closed by default, for under
// a transcript: the transcript stays the text, the picture is one click
// away and prints (print CSS opens it).
func Figure(events []protocols.Event, proto string) template.HTML {
	return draw(events, proto, figureOpen, figureClose)
}

// unitBufs holds slices for the units of the drawings being written: a
// course draws thousands, and units do not outlive their drawing.
var unitBufs = sync.Pool{New: func() any { return new([]Unit) }}

// draw writes the drawing between before and after (fixed markup).
func draw(events []protocols.Event, proto, before, after string) template.HTML {
	buf := unitBufs.Get().(*[]Unit)
	units := appendUnits((*buf)[:0], events, proto)
	var w writer
	w.Grow(len(before) + size(units) + len(after))
	w.WriteString(before)
	w.svg(units, proto)
	w.WriteString(after)
	if cap(units) <= 4096 {
		clear(units) // the pool keeps no event's text alive
		*buf = units[:0]
		unitBufs.Put(buf)
	}
	return template.HTML(w.String()) // #nosec G203 -- fixed markup and escaped text only
}

// size is about the bytes of the drawing, a little more as a rule (the
// course's and the golden transcripts' drawings fit): the fixed markup of
// each unit, its text in the title and clipped on the arrow, the command
// a reply names.
func size(units []Unit) int {
	n := 1000
	for i := range units {
		t := len(units[i].Text)
		n += 460 + t + min(t, maxText)
		if units[i].Answers > 0 {
			n += maxText
		}
	}
	return n
}

// writer is the drawing's buffer: a strings.Builder (its String does not
// copy) with appenders for numbers and escaped text.
type writer struct {
	strings.Builder
}

func (w *writer) int(n int) {
	var tmp [20]byte
	w.Write(strconv.AppendInt(tmp[:0], int64(n), 10))
}

func (w *writer) svg(units []Unit, proto string) {
	var cmdBuf [64]int
	cmds := appendCommands(cmdBuf[:0], units)
	h := top + rowH*len(units) + 16
	fam := family(proto)
	c, s := arrowCounts(units)
	w.WriteString(`<svg class="wb-diagram-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `)
	w.int(width)
	w.WriteByte(' ')
	w.int(h)
	w.WriteString(`" role="img" aria-label="`)
	w.summary(fam, c, s)
	w.WriteString(`" font-family="ui-monospace, monospace" font-size="12" fill="currentColor" stroke="currentColor"><title>`)
	w.summary(fam, c, s)
	w.WriteString(`</title>`)
	// Lane heads and lifelines; after a TLS mark the lifelines are drawn
	// thick: from there on the lines crossed encrypted.
	w.WriteString(`<g class="wb-d-head" stroke="none"><text x="`)
	w.int(clientX)
	w.WriteString(`" y="18" text-anchor="middle" font-weight="bold">client</text><text x="`)
	w.int(serverX)
	w.WriteString(`" y="18" text-anchor="middle" font-weight="bold">server</text></g>`)
	lifeFrom, thick := top-14, false
	for i := range units {
		if units[i].Kind == KindTLS {
			to := top + rowH*i + rowH/2
			w.lifelines(lifeFrom, to, thick)
			lifeFrom, thick = to, true
		}
	}
	w.lifelines(lifeFrom, h-8, thick)

	for i := range units {
		y := top + rowH*i + rowH/2
		switch units[i].Kind {
		case KindCommand, KindBody, KindReply, KindUntagged:
			w.arrow(units, cmds, i, y)
		default:
			w.mark(&units[i], y)
		}
	}
	w.pipelineBrackets(units)
	w.WriteString(`</svg>`)
}

func (w *writer) lifelines(from, to int, thick bool) {
	cls, sw := "wb-d-life", "1"
	if thick {
		cls, sw = "wb-d-life wb-d-secure", "3"
	}
	for _, x := range [2]int{clientX, serverX} {
		w.WriteString(`<line class="`)
		w.WriteString(cls)
		w.WriteString(`" x1="`)
		w.int(x)
		w.WriteString(`" y1="`)
		w.int(from)
		w.WriteString(`" x2="`)
		w.int(x)
		w.WriteString(`" y2="`)
		w.int(to)
		w.WriteString(`" stroke-width="`)
		w.WriteString(sw)
		w.WriteString(`" stroke-opacity="0.55"/>`)
	}
}

func arrowCounts(units []Unit) (client, server int) {
	for i := range units {
		switch units[i].Kind {
		case KindCommand, KindBody:
			client++
		case KindReply, KindUntagged:
			server++
		}
	}
	return client, server
}

// summary writes, escaped, "Sequence diagram of the FAMILY session: C
// client arrows, S server arrows, in the order they crossed the wire".
func (w *writer) summary(fam string, c, s int) {
	w.WriteString("Sequence diagram of the ")
	w.esc(fam)
	w.WriteString(" session: ")
	w.int(c)
	w.WriteString(" client arrows, ")
	w.int(s)
	w.WriteString(" server arrows, in the order they crossed the wire")
}

func (w *writer) arrow(units []Unit, cmds []int, i, y int) {
	u := &units[i]
	fromC := u.Kind == KindCommand || u.Kind == KindBody
	x1, x2 := clientX, serverX
	if !fromC {
		x1, x2 = serverX, clientX
	}
	w.WriteString(`<g class="wb-d-arrow wb-d-`)
	w.WriteString(u.Kind)
	if u.Negative {
		w.WriteString(" wb-d-neg")
	}
	if u.Pipelined {
		w.WriteString(" wb-d-pipelined")
	}
	w.WriteString(`" data-ev="`)
	w.int(u.First)
	w.WriteString(`" data-kind="`)
	w.WriteString(u.Kind)
	w.WriteString(`" data-seq="`)
	w.int(u.Seq)
	w.WriteString(`" data-answers="`)
	w.int(u.Answers)
	w.WriteString(`"><title>`)
	w.arrowTitle(units, cmds, i)
	w.WriteString(`</title><line x1="`)
	tip := x2 - 8
	if !fromC {
		tip = x2 + 8
	}
	w.int(x1)
	w.WriteString(`" y1="`)
	w.int(y)
	w.WriteString(`" x2="`)
	w.int(tip)
	w.WriteString(`" y2="`)
	w.int(y)
	w.WriteString(`" stroke-width="1.5"`)
	if u.Kind == KindUntagged {
		w.WriteString(` stroke-dasharray="5 4"`)
	}
	w.WriteString(`/><path d="M`)
	w.int(x2)
	w.WriteByte(' ')
	w.int(y)
	w.WriteByte('L')
	w.int(tip)
	w.WriteByte(' ')
	w.int(y - 4)
	w.WriteByte('L')
	w.int(tip)
	w.WriteByte(' ')
	w.int(y + 4)
	w.WriteString(`Z" stroke="none"/><text x="`)
	w.int((clientX + serverX) / 2)
	w.WriteString(`" y="`)
	w.int(y - 5)
	w.WriteString(`" text-anchor="middle" stroke="none" xml:space="preserve">`)
	w.escClip(u.Text)
	if u.Lines > 1 {
		w.WriteString(" [")
		w.int(u.Lines)
		w.WriteString(" lines, ")
		w.int(u.Bytes)
		w.WriteString(" bytes]")
	}
	w.WriteString(`</text>`)
	// The number that links a command and its replies, in the gutter
	// beside the client lane.
	if u.Seq > 0 || u.Answers > 0 {
		w.WriteString(`<text class="wb-d-seq" x="`)
		w.int(clientX - 8)
		w.WriteString(`" y="`)
		w.int(y + 4)
		if u.Seq > 0 {
			w.WriteString(`" text-anchor="end" stroke="none" font-weight="bold">`)
			w.int(u.Seq)
		} else {
			w.WriteString(`" text-anchor="end" stroke="none">↩`)
			w.int(u.Answers)
		}
		w.WriteString(`</text>`)
	}
	w.WriteString(`</g>`)
}

// arrowTitle writes, escaped, what an arrow stands for and its whole
// first line. The fixed words hold nothing to escape; each piece of
// recorded text is escaped on its own, which is the same as escaping the
// whole: every piece is followed by ASCII, so no run of invalid UTF-8
// spans two pieces.
func (w *writer) arrowTitle(units []Unit, cmds []int, i int) {
	u := &units[i]
	switch u.Kind {
	case KindCommand:
		w.WriteString("client → server, command ")
		w.int(u.Seq)
		if u.Pipelined {
			w.WriteString(", pipelined: sent right behind the line before, without waiting for its reply")
		}
	case KindBody:
		w.WriteString("client → server, continuing the command before")
	case KindReply:
		w.WriteString("server → client, reply")
		if u.Tag != "" {
			w.WriteString(" tagged ")
			w.esc(u.Tag)
		}
	case KindUntagged:
		w.WriteString("server → client, untagged data (no tag)")
	}
	if u.Answers > 0 {
		if c := command(units, cmds, u.Answers); c != nil {
			if u.Kind == KindUntagged {
				w.WriteString(", sent while command ")
			} else {
				w.WriteString(", answers command ")
			}
			w.int(u.Answers)
			w.WriteString(" (")
			w.escClip(c.Text)
			if u.Kind == KindUntagged {
				w.WriteString(") was waiting for its completion")
			} else {
				w.WriteByte(')')
			}
		}
	}
	if u.Negative {
		w.WriteString(", a refusal")
	}
	if u.Lines > 1 {
		w.WriteString("; ")
		w.int(u.Lines)
		w.WriteString(" lines, ")
		w.int(u.Bytes)
		w.WriteString(" bytes on the wire")
	}
	w.WriteString(": ")
	w.esc(u.Text)
}

// appendCommands maps each command's number to its unit, appended to
// idx: a reply's link is found in constant time, so a long session stays
// linear.
func appendCommands(idx []int, units []Unit) []int {
	idx = append(idx, -1)
	for i := range units {
		if units[i].Seq > 0 {
			idx = append(idx, i)
		}
	}
	return idx
}

func command(units []Unit, cmds []int, seq int) *Unit {
	if seq <= 0 || seq >= len(cmds) {
		return nil
	}
	return &units[cmds[seq]]
}

// markIcon is a mark's sign: geometric shapes, not emoji: they are in the
// monospace fonts a system has, so they never show as a missing glyph.
func markIcon(kind string) string {
	switch kind {
	case KindOpen:
		return "▶ "
	case KindTLS:
		return "◆ "
	case KindClose:
		return "■ "
	case KindError:
		return "✗ "
	}
	return ""
}

// mark draws a note across both lanes: connection opened or closed, TLS
// started, an error.
func (w *writer) mark(u *Unit, y int) {
	w.WriteString(`<g class="wb-d-mark wb-d-`)
	w.WriteString(u.Kind)
	w.WriteString(`" data-ev="`)
	w.int(u.First)
	w.WriteString(`" data-kind="`)
	w.WriteString(u.Kind)
	w.WriteString(`"><title>`)
	w.esc(u.Text)
	w.WriteString(`</title><rect x="`)
	w.int(clientX - 20)
	w.WriteString(`" y="`)
	w.int(y - 9)
	w.WriteString(`" width="`)
	w.int(serverX - clientX + 40)
	w.WriteString(`" height="16" rx="3" fill="currentColor" fill-opacity="0.08" stroke-opacity="0.4"/><text x="`)
	w.int((clientX + serverX) / 2)
	w.WriteString(`" y="`)
	w.int(y + 4)
	w.WriteString(`" text-anchor="middle" stroke="none" xml:space="preserve">`)
	w.WriteString(markIcon(u.Kind))
	w.escClip(u.Text)
	w.WriteString(`</text></g>`)
}

// pipelineBrackets marks each group of commands that left together: the
// first command and the C+ lines right behind it.
func (w *writer) pipelineBrackets(units []Unit) {
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
			w.WriteString(`<g class="wb-d-group" data-from="`)
			w.int(units[i].Seq)
			w.WriteString(`" data-to="`)
			w.int(units[j-1].Seq)
			w.WriteString(`"><title>`)
			w.int(j - i)
			w.WriteString(` commands sent together, before any reply</title><path d="M`)
			w.int(x + 6)
			w.WriteByte(' ')
			w.int(y1)
			w.WriteByte('H')
			w.int(x)
			w.WriteByte('V')
			w.int(y2)
			w.WriteByte('H')
			w.int(x + 6)
			w.WriteString(`" fill="none" stroke-width="1.5"/><text x="`)
			w.int(x - 6)
			w.WriteString(`" y="`)
			w.int((y1 + y2) / 2)
			w.WriteString(`" text-anchor="middle" stroke="none" font-size="10" transform="rotate(-90 `)
			w.int(x - 6)
			w.WriteByte(' ')
			w.int((y1 + y2) / 2)
			w.WriteString(`)">together</text></g>`)
		}
		i = j - 1
	}
}

// Recorded text is shown as visible text, escaped for HTML: control
// characters as \xNN escapes, each run of invalid UTF-8 as one U+FFFD
// (server bytes are untrusted), then & ' < > " as html.EscapeString
// writes them. On an arrow a line is clipped to maxText runes of that
// visible text, the last one an ellipsis.

// plain marks the ASCII bytes written as they are.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c < 0x7f || c == '\t'
	}
	for _, c := range `&'<>"` {
		t[c] = false
	}
	return t
}()

// htmlEntity is html.EscapeString's replacement for c.
func htmlEntity(c byte) string {
	switch c {
	case '&':
		return "&amp;"
	case '\'':
		return "&#39;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	}
	return "&#34;"
}

func isControl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 }

// esc writes s visible and escaped: what html.EscapeString(visible(s))
// was.
func (w *writer) esc(s string) { w.visible(s, -1) }

// escClip writes s visible, clipped to maxText runes, and escaped.
func (w *writer) escClip(s string) {
	cut := -1
	if visibleRunes(s, maxText+1) > maxText {
		cut = maxText - 1
	}
	w.visible(s, cut)
}

// visibleRunes counts the runes of s as shown, stopping at limit.
func visibleRunes(s string, limit int) int {
	n, invalid := 0, false
	for i := 0; i < len(s) && n < limit; {
		c := s[i]
		if c < utf8.RuneSelf {
			invalid = false
			if isControl(rune(c)) {
				n += 4
			} else {
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if size == 1 {
			if !invalid {
				invalid = true
				n++
			}
			continue
		}
		invalid = false
		if isControl(r) {
			n += 4
		} else {
			n++
		}
	}
	return n
}

const hexDigits = "0123456789abcdef"

// visible writes s as shown, escaped; with cut >= 0 only its first cut
// runes as shown and then "…".
func (w *writer) visible(s string, cut int) {
	n := 0           // runes shown so far
	start := 0       // s[start:i] is shown as it is, not written yet
	invalid := false // s[i-1] was part of invalid UTF-8
	for i := 0; i < len(s); {
		if n == cut {
			w.WriteString(s[start:i])
			w.WriteString("…")
			return
		}
		c := s[i]
		if c < utf8.RuneSelf {
			invalid = false
			if plain[c] {
				i++
				n++
				continue
			}
			w.WriteString(s[start:i])
			i++
			start = i
			if !isControl(rune(c)) {
				w.WriteString(htmlEntity(c))
				n++
				continue
			}
			if !w.control(c, &n, cut) {
				return
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if size == 1 {
			w.WriteString(s[start:i])
			i++
			start = i
			if !invalid {
				invalid = true
				w.WriteString("\uFFFD")
				n++
			}
			continue
		}
		invalid = false
		if isControl(r) {
			w.WriteString(s[start:i])
			i += size
			start = i
			if !w.control(byte(r), &n, cut) {
				return
			}
			continue
		}
		i += size
		n++
	}
	w.WriteString(s[start:])
}

// control writes the escape \xNN for a control character, rune by rune
// while fewer than cut are shown; it reports false when the cut fell
// inside it (the ellipsis is written).
func (w *writer) control(c byte, n *int, cut int) bool {
	esc := [4]byte{'\\', 'x', hexDigits[c>>4], hexDigits[c&15]}
	for _, b := range esc {
		if *n == cut {
			w.WriteString("…")
			return false
		}
		w.WriteByte(b)
		*n++
	}
	return true
}
