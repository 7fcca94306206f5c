// Package check compares what a server said with the transcript written in
// a lab: wildcards, regular-expression lines, built-in masks for fields that
// change on every run, and captures that carry a value to later blocks.
package check

import (
	"fmt"
	"regexp"
	"strings"
)

// Pattern is one expected line of a lab.
type Pattern struct {
	Kind    byte   // 'S' server, 'N' note
	Text    string // as written, after "S: "
	Line    int    // 1-based line in the lab
	AnyRun  bool   // "S: ..." alone: any number of lines
	re      *regexp.Regexp
	capture []string // capture names, in order of their groups
	// masked is Text with the masks of its comparison applied, once.
	masked    string
	maskedSet bool
}

// captureRef is ${capture:NAME} in a plain expected line.
var captureRef = regexp.MustCompile(`\$\{capture:([A-Za-z_][A-Za-z0-9_.-]*)\}`)

// CompilePattern turns an expected line into a matcher.
//
//   - "..." alone matches any number of lines;
//   - a line ending in " (re)" is a regular expression for the whole line;
//     named groups (?P<name>...) capture;
//   - otherwise "..." inside the line matches any text, ${capture:NAME}
//     matches a run of non-space characters and captures it, and ${NAME}
//     of an earlier capture stands for its value;
//   - everything else must be equal.
func CompilePattern(kind byte, text string, line int, captured map[string]string) (*Pattern, error) {
	p := new(Pattern)
	if err := p.compile(kind, text, line, captured); err != nil {
		return nil, err
	}
	return p, nil
}

// compile is CompilePattern into p, so that a comparison can keep its
// patterns in one slice.
func (p *Pattern) compile(kind byte, text string, line int, captured map[string]string) error {
	*p = Pattern{Kind: kind, Text: text, Line: line}
	if strings.TrimSpace(text) == "..." {
		p.AnyRun = true
		return nil
	}
	if body, ok := strings.CutSuffix(text, " (re)"); ok {
		re, err := regexp.Compile("^(?:" + body + ")$")
		if err != nil {
			return fmt.Errorf("bad regular expression: %v", err)
		}
		p.re = re
		for _, n := range re.SubexpNames()[1:] {
			p.capture = append(p.capture, n)
		}
		return nil
	}
	// Server text is compared in its written form, control characters as
	// \xNN; a raw one typed in a lab means the same.
	p.Text = Escape(text)
	text = p.Text
	if !strings.Contains(text, "...") && !strings.Contains(text, "${") {
		return nil
	}
	var b strings.Builder
	b.WriteString("^")
	rest := text
	for len(rest) > 0 {
		switch {
		case strings.HasPrefix(rest, "..."):
			b.WriteString(".*")
			rest = rest[3:]
		case captureRef.MatchString(rest) && captureRef.FindStringIndex(rest)[0] == 0:
			m := captureRef.FindStringSubmatch(rest)
			b.WriteString(`(\S+)`)
			p.capture = append(p.capture, m[1])
			rest = rest[len(m[0]):]
		case strings.HasPrefix(rest, "${"):
			end := strings.Index(rest, "}")
			name := ""
			if end > 0 {
				name = rest[2:end]
			}
			v, ok := captured[name]
			if end < 0 || !ok {
				// Not a capture: compare literally.
				b.WriteString(regexp.QuoteMeta("${"))
				rest = rest[2:]
				continue
			}
			b.WriteString(regexp.QuoteMeta(v))
			rest = rest[end+1:]
		default:
			next := len(rest)
			for _, tok := range []string{"...", "${"} {
				if i := strings.Index(rest[1:], tok); i >= 0 && i+1 < next {
					next = i + 1
				}
			}
			b.WriteString(regexp.QuoteMeta(rest[:next]))
			rest = rest[next:]
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return err
	}
	p.re = re
	return nil
}

// Match reports whether actual matches the pattern, and the captured values.
func (p *Pattern) Match(actual string, masks []Mask) (bool, map[string]string) {
	return p.match(actual, func() string { return applyMasks(actual, masks) }, masks)
}

// match is Match with the masked actual text computed at most once by the
// caller (the alignment compares each line with many patterns).
func (p *Pattern) match(actual string, maskedActual func() string, masks []Mask) (bool, map[string]string) {
	if p.AnyRun {
		return true, nil
	}
	if p.re == nil {
		if p.Text == actual {
			return true, nil
		}
		if len(masks) == 0 {
			return false, nil
		}
		if !p.maskedSet {
			p.masked, p.maskedSet = applyMasks(p.Text, masks), true
		}
		return p.masked == maskedActual(), nil
	}
	m := p.re.FindStringSubmatch(actual)
	if m == nil {
		return false, nil
	}
	var caps map[string]string
	for i, name := range p.capture {
		if name == "" {
			continue
		}
		if caps == nil {
			caps = map[string]string{}
		}
		caps[name] = m[i+1]
	}
	return true, caps
}
