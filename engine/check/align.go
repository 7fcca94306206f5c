package check

import (
	"fmt"
	"strings"

	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/protocols"
)

// expected is one line of a lab block taking part in a comparison: a client
// line (an anchor) or an expected server/note pattern.
type expected struct {
	line    *lab.Line // in the block's Lines
	pattern *Pattern  // nil for a client line
	blanks  []lab.Line
}

// opKind is a step of an alignment.
type opKind uint8

const (
	opKeep   opKind = iota // expected i matches actual j
	opSpan                 // "..." at i swallows actual j
	opSkip                 // "..." at i ends (it matched what it swallowed, maybe nothing)
	opDelete               // expected i has no counterpart
	opInsert               // actual j has no counterpart
)

type op struct {
	kind opKind
	i, j int
}

// Comparison is the result of comparing one block.
type Comparison struct {
	Block    *lab.Block
	Events   []protocols.Event
	Written  bool // the block has S:/N: lines to compare with
	Match    bool
	Captures map[string]string
	exp      []expected
	ops      []op
	trailing []lab.Line // blank lines after the last expected line
	// unsentFrom is the first client line the session did not send
	// because it stopped on purpose (TLS refused); 0 when none. Those
	// lines have no counterpart by design: leaving them out is no
	// difference.
	unsentFrom int
	// escaped and masked texts of the events, computed once each.
	escaped   []string
	masked    []string
	maskedSet []bool
}

// Compare aligns a block's written lines with a run's events. captured
// holds values captured by earlier blocks.
func Compare(b *lab.Block, events []protocols.Event, masks []Mask, captured map[string]string) (*Comparison, error) {
	return CompareStopped(b, events, masks, captured, 0)
}

// CompareStopped is Compare for a session that stopped before sending the
// client line unsentFrom and the ones after it, as it must when the server
// refuses TLS: those lines are not counted as differences.
func CompareStopped(b *lab.Block, events []protocols.Event, masks []Mask, captured map[string]string, unsentFrom int) (*Comparison, error) {
	c := &Comparison{Block: b, Events: events, unsentFrom: unsentFrom}
	patterns := 0
	for _, ln := range b.Lines {
		if ln.Kind == lab.Server || ln.Kind == lab.Note {
			patterns++
		}
	}
	// One allocation for the block's patterns; the slice never grows, so
	// the pointers into it stay good.
	pats := make([]Pattern, patterns)
	c.exp = make([]expected, 0, len(b.Lines))
	var blanks []lab.Line
	for i := range b.Lines {
		ln := &b.Lines[i]
		switch ln.Kind {
		case lab.Blank:
			blanks = append(blanks, *ln)
			continue
		case lab.Server, lab.Note:
			kind := byte('S')
			if ln.Kind == lab.Note {
				kind = 'N'
			}
			p := &pats[0]
			pats = pats[1:]
			if err := p.compile(kind, ln.Text, ln.Num, captured); err != nil {
				return nil, &lab.Error{Line: ln.Num, Msg: err.Error()}
			}
			c.exp = append(c.exp, expected{line: ln, pattern: p, blanks: blanks})
			c.Written = true
		default:
			c.exp = append(c.exp, expected{line: ln, blanks: blanks})
		}
		blanks = nil
	}
	c.trailing = blanks
	c.escaped = make([]string, len(events))
	for j, ev := range events {
		c.escaped[j] = Escape(ev.Text)
	}
	c.align(masks)
	return c, nil
}

// Escape writes a server line the way a lab file holds it: control
// characters other than tab as \xNN.
func Escape(s string) string {
	first := firstToEscape(s)
	if first < 0 {
		return s // the common case: nothing to escape, nothing to copy
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:first])
	for i := first; i < len(s); i++ {
		ch := s[i]
		if needsEscape(ch) {
			fmt.Fprintf(&b, `\x%02x`, ch)
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

func needsEscape(ch byte) bool { return (ch < 0x20 && ch != '\t') || ch == 0x7f }

// firstToEscape is the index of the first byte of s that needsEscape, -1
// if none. Eight bytes at a time: a word none of whose bytes is below 0x20
// or is 0x7f is skipped whole (a tab only sends its word to the byte loop).
func firstToEscape(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		del := x ^ (0x7f * ones)
		// Nonzero when some byte is below 0x20 or is 0x7f (and maybe, past
		// such a byte, for others: the bytes are then looked at one by one).
		if ((x-0x20*ones)&^x|(del-ones)&^del)&highs == 0 {
			continue
		}
		for j := i; j < i+8; j++ {
			if needsEscape(s[j]) {
				return j
			}
		}
	}
	for ; i < len(s); i++ {
		if needsEscape(s[i]) {
			return i
		}
	}
	return -1
}

func (c *Comparison) matches(i, j int, masks []Mask) (bool, map[string]string) {
	e, a := c.exp[i], c.Events[j]
	if e.pattern == nil {
		return a.Kind == protocols.Client && a.Source == e.line.Num, nil
	}
	if (e.pattern.Kind == 'S') != (a.Kind == protocols.Server) || (e.pattern.Kind == 'N') != (a.Kind == protocols.Note) {
		return false, nil
	}
	return e.pattern.match(c.escaped[j], func() string {
		if c.masked == nil {
			// Made the first time a masked text is needed: a block that
			// matches line for line never masks anything.
			c.masked, c.maskedSet = make([]string, len(c.Events)), make([]bool, len(c.Events))
		}
		if !c.maskedSet[j] {
			c.masked[j], c.maskedSet[j] = applyMasks(c.escaped[j], masks), true
		}
		return c.masked[j]
	}, masks)
}

// alignExact handles the common case, a block whose written lines are the
// run's lines exactly, without the quadratic search.
func (c *Comparison) alignExact() bool {
	if len(c.exp) != len(c.Events) {
		return false
	}
	for i, e := range c.exp {
		a := c.Events[i]
		if e.pattern == nil {
			if a.Kind != protocols.Client || a.Source != e.line.Num {
				return false
			}
			continue
		}
		if e.pattern.re != nil || e.pattern.AnyRun || e.pattern.Text != c.escaped[i] ||
			(e.pattern.Kind == 'S') != (a.Kind == protocols.Server) || (e.pattern.Kind == 'N') != (a.Kind == protocols.Note) {
			return false
		}
	}
	c.ops = make([]op, len(c.exp))
	for i := range c.exp {
		c.ops[i] = op{opKeep, i, i}
	}
	c.Match = true
	return true
}

// align finds the cheapest alignment by dynamic programming: matching costs
// nothing, "..." swallows server lines for free, every unmatched line
// costs one.
func (c *Comparison) align(masks []Mask) {
	if c.alignExact() {
		return
	}
	m, n := len(c.exp), len(c.Events)
	const inf = 1 << 30
	cost := make([][]int, m+1)
	for i := range cost {
		cost[i] = make([]int, n+1)
	}
	matchCache := make(map[[2]int]bool)
	isMatch := func(i, j int) bool {
		k := [2]int{i, j}
		if v, ok := matchCache[k]; ok {
			return v
		}
		ok, _ := c.matches(i, j, masks)
		matchCache[k] = ok
		return ok
	}
	for i := m; i >= 0; i-- {
		for j := n; j >= 0; j-- {
			switch {
			case i == m:
				cost[i][j] = n - j
			case j == n:
				if c.exp[i].pattern != nil && c.exp[i].pattern.AnyRun {
					cost[i][j] = cost[i+1][j]
				} else {
					cost[i][j] = c.deleteCost(i) + cost[i+1][j]
				}
			default:
				best := inf
				e := c.exp[i]
				if e.pattern != nil && e.pattern.AnyRun {
					best = cost[i+1][j]
					if c.Events[j].Kind != protocols.Client {
						best = min(best, cost[i][j+1])
					}
				} else if isMatch(i, j) {
					best = cost[i+1][j+1]
				}
				best = min(best, c.deleteCost(i)+cost[i+1][j], 1+cost[i][j+1])
				cost[i][j] = best
			}
		}
	}
	c.Match = cost[0][0] == 0
	// Walk the cheapest path, preferring matches.
	i, j := 0, 0
	for i < m || j < n {
		switch {
		case i == m:
			c.ops = append(c.ops, op{opInsert, i, j})
			j++
		case c.exp[i].pattern != nil && c.exp[i].pattern.AnyRun:
			if j < n && c.Events[j].Kind != protocols.Client && cost[i][j] == cost[i][j+1] {
				c.ops = append(c.ops, op{opSpan, i, j})
				j++
			} else if cost[i][j] == cost[i+1][j] {
				c.ops = append(c.ops, op{opSkip, i, j})
				i++
			} else {
				c.ops = append(c.ops, op{opInsert, i, j})
				j++
			}
		case j < n && isMatch(i, j) && cost[i][j] == cost[i+1][j+1]:
			c.ops = append(c.ops, op{opKeep, i, j})
			if _, caps := c.matches(i, j, masks); caps != nil {
				if c.Captures == nil {
					c.Captures = map[string]string{}
				}
				for k, v := range caps {
					c.Captures[k] = v
				}
			}
			i, j = i+1, j+1
		case j < n && cost[i][j] == 1+cost[i][j+1] && (c.Events[j].Kind != protocols.Client || cost[i][j] != c.deleteCost(i)+cost[i+1][j]):
			c.ops = append(c.ops, op{opInsert, i, j})
			j++
		default:
			c.ops = append(c.ops, op{opDelete, i, j})
			i++
		}
	}
}

// deleteCost is what leaving expected line i without a counterpart costs:
// nothing for a client line the session stopped before.
func (c *Comparison) deleteCost(i int) int {
	if c.unsent(i) {
		return 0
	}
	return 1
}

func (c *Comparison) unsent(i int) bool {
	e := c.exp[i]
	return c.unsentFrom > 0 && e.pattern == nil && e.line.Num >= c.unsentFrom
}
