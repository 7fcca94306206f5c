package highlight

import (
	"html"
	"html/template"
	"strings"
	"sync"

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
	f := codeFormatter(start)
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

// formatters are chroma's HTML formatters by the <pre> they open: a
// formatter works out its CSS classes on first use, which was a tenth of
// highlighting a short block. They are safe for concurrent use; a course
// has a few languages, and past formattersMax a new one is made each time
// (a lab cannot grow this without bound).
var (
	formattersMu sync.Mutex
	formatters   = map[string]*chtml.Formatter{}
)

const formattersMax = 64

func codeFormatter(start string) *chtml.Formatter {
	formattersMu.Lock()
	defer formattersMu.Unlock()
	if f, ok := formatters[start]; ok {
		return f
	}
	f := chtml.New(
		chtml.WithClasses(true),
		chtml.WithPreWrapper(preWrapper{start: start, end: `</code></pre>`}),
	)
	if len(formatters) < formattersMax {
		formatters[start] = f
	}
	return f
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
