package diagram

import (
	"fmt"
	"html"
	"html/template"
	"strconv"
	"strings"
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
func SVG(events []protocols.Event, proto string) template.HTML {
	units := Units(events, proto)
	cmds := commands(units)
	h := top + rowH*len(units) + 16
	var b strings.Builder
	b.Grow(400 * (len(units) + 2))
	sum := summary(units, proto)
	fmt.Fprintf(&b, `<svg class="wb-diagram-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" font-family="ui-monospace, monospace" font-size="12" fill="currentColor" stroke="currentColor">`,
		width, h, attr(sum))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(sum))
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
			arrow(&b, units, cmds, i, y)
		default:
			mark(&b, u, y)
		}
	}
	pipelineBrackets(&b, units)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // #nosec G203 -- fixed markup and escaped text only
}

// Figure is SVG inside a <details> that is closed by default, for under
// a transcript: the transcript stays the text, the picture is one click
// away and prints (print CSS opens it).
func Figure(events []protocols.Event, proto string) template.HTML {
	return template.HTML(`<details class="wb-diagram"><summary>Sequence diagram</summary>` + string(SVG(events, proto)) + `</details>`) // #nosec G203 -- SVG escapes
}

func summary(units []Unit, proto string) string {
	c, s := 0, 0
	for _, u := range units {
		switch u.Kind {
		case KindCommand, KindBody:
			c++
		case KindReply, KindUntagged:
			s++
		}
	}
	return fmt.Sprintf("Sequence diagram of the %s session: %d client arrows, %d server arrows, in the order they crossed the wire", family(proto), c, s)
}

func arrow(b *strings.Builder, units []Unit, cmds []int, i, y int) {
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
		cls, u.First, u.Kind, u.Seq, u.Answers, esc(arrowTitle(units, cmds, i)))
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
	label := clip(u.Text)
	if u.Lines > 1 {
		label += " " + countLabel(u)
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" stroke="none" xml:space="preserve">%s</text>`, (clientX+serverX)/2, y-5, esc(label))
	// The number that links a command and its replies, in the gutter
	// beside the client lane.
	if u.Seq > 0 {
		fmt.Fprintf(b, `<text class="wb-d-seq" x="%d" y="%d" text-anchor="end" stroke="none" font-weight="bold">%d</text>`, clientX-8, y+4, u.Seq)
	} else if u.Answers > 0 {
		fmt.Fprintf(b, `<text class="wb-d-seq" x="%d" y="%d" text-anchor="end" stroke="none">↩%d</text>`, clientX-8, y+4, u.Answers)
	}
	b.WriteString(`</g>`)
}

func countLabel(u Unit) string {
	return fmt.Sprintf("[%d lines, %s bytes]", u.Lines, strconv.Itoa(u.Bytes))
}

func arrowTitle(units []Unit, cmds []int, i int) string {
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
		if c := command(units, cmds, u.Answers); c != nil {
			if u.Kind == KindUntagged {
				fmt.Fprintf(&t, ", sent while command %d (%s) was waiting for its completion", u.Answers, clip(c.Text))
			} else {
				fmt.Fprintf(&t, ", answers command %d (%s)", u.Answers, clip(c.Text))
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
func commands(units []Unit) []int {
	idx := []int{-1}
	for i, u := range units {
		if u.Seq > 0 {
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

// mark draws a note across both lanes: connection opened or closed, TLS
// started, an error.
func mark(b *strings.Builder, u Unit, y int) {
	// Geometric shapes, not emoji: they are in the monospace fonts a
	// system has, so they never show as a missing glyph.
	icon := map[string]string{KindOpen: "▶ ", KindTLS: "◆ ", KindClose: "■ ", KindError: "✗ ", KindNote: ""}[u.Kind]
	fmt.Fprintf(b, `<g class="wb-d-mark wb-d-%s" data-ev="%d" data-kind="%s"><title>%s</title>`, u.Kind, u.First, u.Kind, esc(u.Text))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="currentColor" fill-opacity="0.08" stroke-opacity="0.4"/>`, clientX-20, y-9, serverX-clientX+40, 16)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" stroke="none" xml:space="preserve">%s</text>`, (clientX+serverX)/2, y+4, esc(icon+clip(u.Text)))
	b.WriteString(`</g>`)
}

// pipelineBrackets marks each group of commands that left together: the
// first command and the C+ lines right behind it.
func pipelineBrackets(b *strings.Builder, units []Unit) {
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
func clip(s string) string {
	s = visible(s)
	if utf8.RuneCountInString(s) <= maxText {
		return s
	}
	r := []rune(s)
	return string(r[:maxText-1]) + "…"
}

// visible shows control characters as escapes and invalid UTF-8 as U+FFFD:
// server bytes are untrusted.
func visible(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			fmt.Fprintf(&b, `\x%02x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 }

func esc(s string) string  { return html.EscapeString(visible(s)) }
func attr(s string) string { return html.EscapeString(visible(s)) }
