package highlight

import (
	"html"
	"html/template"
	"strings"

	"github.com/alecthomas/chroma/v2"
	chtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
)

// Code highlights a fenced code block written in lang. An unknown or
// empty lang is shown as plain text; a transcript alias such as
// "smtp-transcript" uses the transcript lexer. The result is a
// <pre class="wb-code"> with chroma's CSS classes; all text is escaped.
func Code(lang, code string) template.HTML {
	l := codeLexer(lang)
	var b strings.Builder
	start := `<pre class="wb-code" data-lang="` + attrWord(lang) + `"><code>`
	f := chtml.New(
		chtml.WithClasses(true),
		chtml.WithPreWrapper(preWrapper{start: start, end: `</code></pre>`}),
	)
	it, err := l.Tokenise(nil, code)
	if err == nil {
		err = f.Format(&b, classStyle, it)
	}
	if err != nil {
		// A lexer failure must not lose the code: show it plain.
		return template.HTML(start + html.EscapeString(code) + `</code></pre>`) // #nosec G203 -- escaped
	}
	return template.HTML(b.String()) // #nosec G203 -- chroma escapes every token
}

// classStyle is the style handed to chroma's formatter: with classes the
// markup does not depend on it (CSS() colours the classes), and chroma's
// own styles are left unloaded (see css.go).
var classStyle = chroma.MustNewStyle("wirebook-classes", chroma.StyleEntries{})

func codeLexer(lang string) chroma.Lexer {
	lang = strings.TrimSpace(lang)
	if lang == "" {
		return lexers.Fallback
	}
	if l := lexerByAlias(lang); l != nil {
		return l
	}
	// lexers.Get also matches file names, which is how a fence tagged
	// with an extension ("py") is meant; it never guesses from content.
	if l := lexers.Get(lang); l != nil {
		return chroma.Coalesce(l)
	}
	return lexers.Fallback
}

// preWrapper replaces chroma's <pre> so the block carries our class and
// no inline style.
type preWrapper struct{ start, end string }

func (p preWrapper) Start(code bool, _ string) string {
	if code {
		return p.start
	}
	return ""
}

func (p preWrapper) End(code bool) string {
	if code {
		return p.end
	}
	return ""
}
