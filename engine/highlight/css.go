package highlight

import (
	_ "embed"
	"strings"
	"sync"
)

// Chroma styles for the two colour schemes.
const (
	LightStyle = "github"
	DarkStyle  = "github-dark"
)

// The token rules of the two chroma styles, rescoped to our blocks, are
// generated (css_gen_test.go: UPDATE_GOLDEN=1 go test ./engine/highlight/
// writes them, and the test fails when they are out of date) rather than
// computed at start-up: chroma's styles package parses every style it has
// when a program starts, most of wirebook's start-up time.
var (
	//go:embed chroma-light.css
	chromaLight string
	//go:embed chroma-dark.css
	chromaDark string
)

// CSS returns the stylesheet for Code and Transcript output: the light
// chroma style, the dark one inside @media (prefers-color-scheme: dark),
// and the transcript layout and reply colours. It is the same every call.
func CSS() string { return stylesheet() }

var stylesheet = sync.OnceValue(func() string {
	var b strings.Builder
	b.WriteString("/* wirebook highlight: chroma " + LightStyle + " / " + DarkStyle + " */\n")
	b.WriteString(chromaLight)
	b.WriteString(transcriptCSS)
	b.WriteString(transcriptLightCSS)
	b.WriteString("@media (prefers-color-scheme: dark) {\n")
	b.WriteString(chromaDark)
	b.WriteString(indent(transcriptDarkCSS, "  "))
	b.WriteString("}\n")
	return b.String()
})

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
// lines wrapping inside the box so the page never widens, the prefix in a
// gutter of its own.
const transcriptCSS = `.wb-code, .wb-transcript { box-sizing: border-box; max-width: 100%; overflow-x: auto; }
.wb-code { white-space: pre; }
.wb-transcript { white-space: pre-wrap; overflow-wrap: anywhere; tab-size: 4; }
.wb-transcript > code { display: block; white-space: inherit; background: none; padding: 0; }
.wb-transcript .wb-line { display: flex; }
.wb-transcript .wb-gutter { flex: none; width: 3ch; white-space: pre; overflow: hidden; }
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
.wb-transcript .wb-line.wb-s .kr { color: inherit; }
.wb-transcript .wb-line.wb-neg, .wb-transcript .wb-line.wb-neg .wb-text span { color: #a40e26; }
.wb-transcript .wb-line.wb-neg { background-color: #ffebe9; }
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
.wb-transcript .wb-line.wb-s .kr { color: inherit; }
.wb-transcript .wb-line.wb-neg, .wb-transcript .wb-line.wb-neg .wb-text span { color: #ffa198; }
.wb-transcript .wb-line.wb-neg { background-color: #3c1618; }
`
