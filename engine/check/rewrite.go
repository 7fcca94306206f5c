package check

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/protocols"
)

// format is how a fresh output line is written in the comparison's block:
// as printed in an executable block, "S: ..." in a session block.
func (c *Comparison) format(ev protocols.Event) string {
	if c.Block.Exec != "" {
		return Escape(ev.Text)
	}
	return formatEvent(ev)
}

// formatEvent is how a fresh server or note line is written in a lab.
func formatEvent(ev protocols.Event) string {
	prefix := "S:"
	if ev.Kind == protocols.Note {
		prefix = "N:"
	}
	if ev.Text == "" {
		return prefix
	}
	return prefix + " " + Escape(ev.Text)
}

type piece struct{ text, eol string }

func splitRaw(raw string) piece {
	if s, ok := strings.CutSuffix(raw, "\r\n"); ok {
		return piece{s, "\r\n"}
	}
	if s, ok := strings.CutSuffix(raw, "\n"); ok {
		return piece{s, "\n"}
	}
	return piece{raw, ""}
}

// NewBody returns the block body with its server side replaced by the run's
// transcript: client lines, attributes and blank lines stay byte for byte,
// written S:/N: lines that still match stay as written (wildcards,
// captures), the rest is the fresh transcript.
func (c *Comparison) NewBody(src []byte) string {
	b := c.Block
	raw := func(start, end int) piece { return splitRaw(string(src[start:end])) }
	eol := "\n"
	if b.BodyStart >= 2 && string(src[b.BodyStart-2:b.BodyStart]) == "\r\n" {
		eol = "\r\n"
	}
	var out []piece
	emit := func(e expected) {
		for _, bl := range e.blanks {
			out = append(out, raw(bl.Start, bl.End))
		}
		out = append(out, raw(e.line.Start, e.line.End))
	}
	for _, o := range c.ops {
		switch o.kind {
		case opKeep, opSkip:
			emit(c.exp[o.i])
		case opDelete:
			if c.exp[o.i].pattern == nil {
				emit(c.exp[o.i]) // client lines are the author's: never dropped
			}
		case opInsert:
			if ev := c.Events[o.j]; ev.Kind != protocols.Client {
				out = append(out, piece{b.Prefix + c.format(ev), eol})
			}
		}
	}
	for _, bl := range c.trailing {
		out = append(out, raw(bl.Start, bl.End))
	}
	body := string(src[b.BodyStart:b.BodyEnd])
	endsWithoutEOL := body != "" && !strings.HasSuffix(body, "\n")
	var sb strings.Builder
	for k, p := range out {
		sb.WriteString(p.text)
		switch {
		case k < len(out)-1 && p.eol == "":
			sb.WriteString(eol)
		case k == len(out)-1 && endsWithoutEOL:
		case p.eol == "":
			sb.WriteString(eol)
		default:
			sb.WriteString(p.eol)
		}
	}
	return sb.String()
}

// Rewrite applies new bodies to a lab's source. bodies maps a block's
// BodyStart to its new body; the blocks are given by their byte ranges.
func Rewrite(src []byte, comps []*Comparison) []byte {
	sorted := append([]*Comparison(nil), comps...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Block.BodyStart > sorted[j].Block.BodyStart })
	out := string(src)
	for _, c := range sorted {
		body := c.NewBody(src)
		out = out[:c.Block.BodyStart] + body + out[c.Block.BodyEnd:]
	}
	return []byte(out)
}

// Differences tells the differences by exchange: "the reply to `EHLO
// client.example` gained `250-SMTPUTF8`".
func (c *Comparison) Differences() []string {
	var out []string
	exchange, replyTo := "the greeting", "the reply to"
	if c.Block.Exec != "" {
		exchange, replyTo = "the output", "the output of"
	}
	var lost, gained []string
	flush := func() {
		switch {
		case len(lost) == 1 && len(gained) == 1:
			out = append(out, fmt.Sprintf("%s changed `%s` to `%s`", exchange, lost[0], gained[0]))
		default:
			for _, g := range gained {
				out = append(out, fmt.Sprintf("%s gained `%s`", exchange, g))
			}
			for _, l := range lost {
				out = append(out, fmt.Sprintf("%s lost `%s`", exchange, l))
			}
		}
		lost, gained = nil, nil
	}
	for _, o := range c.ops {
		switch o.kind {
		case opKeep:
			if e := c.exp[o.i]; e.pattern == nil {
				flush()
				exchange = fmt.Sprintf("%s `%s`", replyTo, e.line.Text)
			}
		case opDelete:
			e := c.exp[o.i]
			if c.unsent(o.i) {
				continue
			}
			if e.pattern == nil {
				flush()
				out = append(out, fmt.Sprintf("`%s` (line %d) was not sent", e.line.Text, e.line.Num))
				exchange = fmt.Sprintf("%s `%s`", replyTo, e.line.Text)
				continue
			}
			lost = append(lost, e.pattern.Text)
		case opInsert:
			ev := c.Events[o.j]
			if ev.Kind != protocols.Client {
				gained = append(gained, Escape(ev.Text))
			}
		}
	}
	flush()
	return out
}

// UnifiedDiff shows the block as written (-) against the run (+), with
// three lines of context and the lab's line numbers.
func (c *Comparison) UnifiedDiff(path string) string {
	type dline struct {
		sign byte
		text string
		num  int // lab line, for - and ' '
	}
	var lines []dline
	for _, o := range c.ops {
		switch o.kind {
		case opKeep, opSkip:
			e := c.exp[o.i]
			lines = append(lines, dline{' ', c.kindPrefix(e) + e.line.Text, e.line.Num})
		case opDelete:
			e := c.exp[o.i]
			lines = append(lines, dline{'-', c.kindPrefix(e) + e.line.Text, e.line.Num})
		case opInsert:
			ev := c.Events[o.j]
			if ev.Kind != protocols.Client {
				lines = append(lines, dline{'+', c.format(ev), 0})
			}
		}
	}
	// Within a run of changes, show what was written before what came.
	for i := 0; i < len(lines); {
		if lines[i].sign == ' ' {
			i++
			continue
		}
		j := i
		for j < len(lines) && lines[j].sign != ' ' {
			j++
		}
		sort.SliceStable(lines[i:j], func(a, b int) bool { return lines[i+a].sign == '-' && lines[i+b].sign == '+' })
		i = j
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s (as written)\n+++ %s (as the server said)\n", path, path)
	const context = 3
	for i := 0; i < len(lines); {
		if lines[i].sign == ' ' {
			i++
			continue
		}
		start := max(0, i-context)
		end := i
		for end < len(lines) {
			if lines[end].sign != ' ' {
				end++
				continue
			}
			k := end
			for k < len(lines) && lines[k].sign == ' ' && k-end < 2*context {
				k++
			}
			if k < len(lines) && lines[k].sign != ' ' {
				end = k
				continue
			}
			end = min(len(lines), end+context)
			break
		}
		first := 0
		for _, l := range lines[start:end] {
			if l.num > 0 {
				first = l.num
				break
			}
		}
		fmt.Fprintf(&sb, "@@ line %d @@\n", first)
		for _, l := range lines[start:end] {
			fmt.Fprintf(&sb, "%c%s\n", l.sign, l.text)
		}
		i = end
	}
	return sb.String()
}

func (c *Comparison) kindPrefix(e expected) string {
	if c.Block.Exec != "" {
		return "" // the line as written: prompt and output need no prefix
	}
	if e.pattern == nil {
		if e.line.Kind == lab.Pipelined {
			return "C+ "
		}
		return "C: "
	}
	return string(e.pattern.Kind) + ": "
}

// FirstDifferenceLine is the lab line nearest to the first difference, for
// file:line reports.
func (c *Comparison) FirstDifferenceLine() int {
	last := c.Block.Line
	for _, o := range c.ops {
		switch o.kind {
		case opKeep, opSkip:
			last = c.exp[o.i].line.Num
		case opDelete:
			return c.exp[o.i].line.Num
		case opInsert:
			if c.Events[o.j].Kind != protocols.Client {
				return last + 1
			}
		}
	}
	return last
}

// Row is one line of a side-by-side comparison.
type Row struct {
	Left, Right string // lab line, server line ("" when absent)
	Mark        byte   // ' ' same, '-' only in the lab, '+' only from the server, '!' changed
}

// SideBySide pairs the lab's lines with the server's, for a reader: a
// written line that was replaced is shown beside its replacement.
func (c *Comparison) SideBySide() []Row {
	var rows []Row
	var lost, gained []string
	flush := func() {
		for len(lost) > 0 && len(gained) > 0 {
			rows = append(rows, Row{Left: lost[0], Right: gained[0], Mark: '!'})
			lost, gained = lost[1:], gained[1:]
		}
		for _, l := range lost {
			rows = append(rows, Row{Left: l, Mark: '-'})
		}
		for _, g := range gained {
			rows = append(rows, Row{Right: g, Mark: '+'})
		}
		lost, gained = nil, nil
	}
	for _, o := range c.ops {
		switch o.kind {
		case opKeep:
			flush()
			e := c.exp[o.i]
			right := c.kindPrefix(e) + e.line.Text
			if ev := c.Events[o.j]; ev.Kind != protocols.Client {
				right = c.format(ev)
			}
			rows = append(rows, Row{Left: c.kindPrefix(e) + e.line.Text, Right: right, Mark: ' '})
		case opSpan:
			flush()
			rows = append(rows, Row{Left: "", Right: c.format(c.Events[o.j]), Mark: ' '})
		case opSkip:
			flush()
			e := c.exp[o.i]
			rows = append(rows, Row{Left: c.kindPrefix(e) + e.line.Text, Mark: ' '})
		case opDelete:
			e := c.exp[o.i]
			lost = append(lost, c.kindPrefix(e)+e.line.Text)
		case opInsert:
			if ev := c.Events[o.j]; ev.Kind != protocols.Client {
				gained = append(gained, c.format(ev))
			}
		}
	}
	flush()
	return rows
}
