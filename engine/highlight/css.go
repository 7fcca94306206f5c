package highlight

import (
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	chtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/styles"
)

// Chroma styles for the two colour schemes.
const (
	LightStyle = "github"
	DarkStyle  = "github-dark"
)

// scopes are the blocks whose tokens the chroma rules colour.
var scopes = []string{".wb-code", ".wb-transcript"}

// CSS returns the stylesheet for Code and Transcript output: the light
// chroma style, the dark one inside @media (prefers-color-scheme: dark),
// and the transcript layout and reply colours. It is the same every call.
func CSS() string { return stylesheet() }

var stylesheet = sync.OnceValue(func() string {
	light := chromaRules(styles.Get(LightStyle))
	if !hasProp(light[0].body, "color") {
		// The github style leaves text colour to the page; pin its own so a
		// dark page colour cannot meet the light background.
		light[0].body = "color: #1f2328; " + light[0].body
	}
	dark := chromaRules(styles.Get(DarkStyle))
	var b strings.Builder
	b.WriteString("/* wirebook highlight: chroma " + LightStyle + " / " + DarkStyle + " */\n")
	writeRules(&b, light, "")
	b.WriteString(transcriptCSS)
	b.WriteString(transcriptLightCSS)
	b.WriteString("@media (prefers-color-scheme: dark) {\n")
	writeRules(&b, resetMissing(light, dark), "  ")
	b.WriteString(indent(transcriptDarkCSS, "  "))
	b.WriteString("}\n")
	return b.String()
})

// resetProps are the properties a token rule may set.
var resetProps = map[string]string{
	"color":            "inherit",
	"background-color": "transparent",
	"font-weight":      "inherit",
	"font-style":       "inherit",
	"text-decoration":  "inherit",
}

// resetMissing returns the dark rules, completed so that whatever a light
// rule sets and the dark one does not is reset: the light rules apply in
// dark mode too, and a light colour left over on the dark background could
// be unreadable.
func resetMissing(light, dark []cssRule) []cssRule {
	out := append([]cssRule(nil), dark...)
	index := map[string]int{}
	for i, r := range out {
		index[r.class] = i
	}
	for _, l := range light {
		var resets []string
		i, ok := index[l.class]
		for _, d := range strings.Split(l.body, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(d), ":")
			v, known := resetProps[name]
			if known && (!ok || !hasProp(out[i].body, name)) {
				resets = append(resets, name+": "+v)
			}
		}
		if len(resets) == 0 {
			continue
		}
		if ok {
			out[i].body = strings.Join(append([]string{out[i].body}, resets...), "; ")
		} else {
			index[l.class] = len(out)
			out = append(out, cssRule{class: l.class, body: strings.Join(resets, "; ")})
		}
	}
	return out
}

func hasProp(body, name string) bool {
	for _, d := range strings.Split(body, ";") {
		if n, _, _ := strings.Cut(strings.TrimSpace(d), ":"); n == name {
			return true
		}
	}
	return false
}

// cssRule is one rule of chroma's stylesheet: class "" is the block
// itself (chroma's .bg and .chroma), else a token class such as "k".
type cssRule struct {
	class string
	body  string
}

// chromaRules runs chroma's CSS writer and parses its one-rule-per-line
// output, so the selectors can be rescoped to our block classes.
func chromaRules(style *chroma.Style) []cssRule {
	if style == nil {
		style = styles.Fallback
	}
	var b strings.Builder
	f := chtml.New(chtml.WithClasses(true), chtml.WithCSSComments(false))
	if err := f.WriteCSS(&b, style); err != nil {
		return nil
	}
	var out []cssRule
	var block []string
	for _, line := range strings.Split(b.String(), "\n") {
		sel, body, ok := strings.Cut(line, " { ")
		if !ok {
			continue
		}
		body = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(body), "}"))
		body = strings.TrimSuffix(strings.TrimSpace(body), ";")
		switch {
		case sel == ".bg" || sel == ".chroma":
			block = append(block, body)
		case strings.HasPrefix(sel, ".chroma ."):
			out = append(out, cssRule{class: strings.TrimPrefix(sel, ".chroma ."), body: body})
		}
	}
	// One rule for the block: background, colour, the text-size fix.
	merged := map[string]bool{}
	var decls []string
	for _, body := range block {
		for _, d := range strings.Split(body, ";") {
			d = strings.TrimSpace(d)
			if d != "" && !merged[d] {
				merged[d] = true
				decls = append(decls, d)
			}
		}
	}
	return append([]cssRule{{body: strings.Join(decls, "; ")}}, out...)
}

func writeRules(b *strings.Builder, rules []cssRule, ind string) {
	for _, r := range rules {
		writeRule(b, ind, r.class, r.body)
	}
}

func writeRule(b *strings.Builder, ind, class, body string) {
	if body == "" {
		return
	}
	b.WriteString(ind)
	for i, s := range scopes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
		if class != "" {
			b.WriteString(" .")
			b.WriteString(class)
		}
	}
	b.WriteString(" { ")
	b.WriteString(body)
	b.WriteString(" }\n")
}

func indent(s, ind string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			lines[i] = ind + l
		}
	}
	return strings.Join(lines, "")
}

// transcriptCSS lays out transcripts: a flex line of gutter and text, long
// lines wrapping inside the box so the page never widens, the prefix drawn
// from data-g so it is neither selected nor copied.
const transcriptCSS = `.wb-code, .wb-transcript { box-sizing: border-box; max-width: 100%; overflow-x: auto; }
.wb-code { white-space: pre; }
.wb-transcript { white-space: pre-wrap; overflow-wrap: anywhere; tab-size: 4; }
.wb-transcript > code { display: block; white-space: inherit; background: none; padding: 0; }
.wb-transcript .wb-line { display: flex; }
.wb-transcript .wb-gutter { flex: none; width: 3ch; -webkit-user-select: none; user-select: none; }
.wb-transcript .wb-gutter::before { content: attr(data-g); }
.wb-transcript .wb-text { flex: 1 1 auto; min-width: 0; }
.wb-transcript .wb-n .wb-text { font-style: italic; }
.wb-transcript .wb-err { font-weight: 600; border-left: 3px solid; margin-left: -6px; padding-left: 3px; }
.wb-transcript .wb-err .wb-text { font-style: normal; }
.wb-transcript .wb-ctl { border-radius: 2px; padding: 0 1px; font-style: normal; }
.wb-transcript .wb-noeol::after { content: " \23CE\0338  no line end"; font-style: italic; -webkit-user-select: none; user-select: none; }
.wb-transcript .wb-payload { display: block; }
.wb-transcript .wb-payload > summary { cursor: pointer; font-style: italic; padding-left: 3ch; white-space: normal; }
.wb-transcript .wb-line .gi, .wb-transcript .wb-line .gu, .wb-transcript .wb-line .gt, .wb-transcript .wb-line .gr { background-color: transparent; font-weight: 600; font-style: normal; }
`

// Reply colours meet WCAG AA (4.5:1) on both styles' backgrounds.
const transcriptLightCSS = `.wb-transcript .wb-c .wb-gutter { color: #0550ae; }
.wb-transcript .wb-s .wb-gutter { color: #57606a; }
.wb-transcript .wb-n, .wb-transcript .wb-payload > summary { color: #57606a; }
.wb-transcript .wb-err { color: #a40e26; background-color: #ffebe9; }
.wb-transcript .wb-ctl { color: #6f4400; background-color: #fff1a8; }
.wb-transcript .wb-noeol::after { color: #57606a; }
.wb-transcript .wb-line .gi { color: #116329; }
.wb-transcript .wb-line .gu { color: #0550ae; }
.wb-transcript .wb-line .gt { color: #953800; }
.wb-transcript .wb-line .gr { color: #a40e26; }
.wb-transcript .wb-line .na { color: #6639ba; }
`

const transcriptDarkCSS = `.wb-transcript .wb-c .wb-gutter { color: #79c0ff; }
.wb-transcript .wb-s .wb-gutter { color: #8b949e; }
.wb-transcript .wb-n, .wb-transcript .wb-payload > summary { color: #8b949e; }
.wb-transcript .wb-err { color: #ffa198; background-color: #3c1618; }
.wb-transcript .wb-ctl { color: #f2cc60; background-color: #3b2e00; }
.wb-transcript .wb-noeol::after { color: #8b949e; }
.wb-transcript .wb-line .gi { color: #56d364; }
.wb-transcript .wb-line .gu { color: #79c0ff; }
.wb-transcript .wb-line .gt { color: #ffa657; }
.wb-transcript .wb-line .gr { color: #ff7b72; }
.wb-transcript .wb-line .na { color: #d2a8ff; }
`
