package highlight

import (
	"html/template"
	"regexp"
	"strings"

	"github.com/wirebook/wirebook/protocols"
)

// The debug lines client libraries print, told apart by their marks:
// smtplib's and http.client's send:/reply:, imaplib's "  57:04.83 > ",
// curl -v's "> " and "< ".
var (
	debugClient = regexp.MustCompile(`^(?:send: |data: |  \d\d:\d\d\.\d\d > |> )`)
	debugServer = regexp.MustCompile(`^(?:reply: |header: |  \d\d:\d\d\.\d\d < |< )`)
)

// Repl renders an executable block's run: each statement or command as
// the author typed it, highlighted as Python (pycon) or shell (console),
// its prompt drawn by CSS (so copying copies the statements only), and
// the output beneath as output, debug lines that show what a library sent
// or received marked as client or server lines. kind is "pycon",
// "console" or "python" (a script's output: no statements). All text is
// escaped; control characters are shown as visible escapes.
func Repl(events []protocols.Event, kind string) template.HTML {
	lang := "python"
	if kind == "console" {
		lang = "bash"
	}
	// Statements are lexed together, so a string or bracket that spans
	// lines is coloured as one; each line keeps its prompt out of the text.
	var src strings.Builder
	var stmts []int
	prompts := map[int]string{}
	clean := make([]string, len(events))
	subs := make([][]sub, len(events))
	for i, ev := range events {
		clean[i], subs[i] = neutralise(ev.Text)
		if ev.Kind != protocols.Client {
			continue
		}
		p, text := splitPrompt(kind, clean[i])
		prompts[i], clean[i] = p, text
		stmts = append(stmts, i)
		src.WriteString("   ")
		src.WriteString(text)
		src.WriteByte('\n')
	}
	toks := lexLines(codeLexer(lang), src.String(), len(stmts))
	var b strings.Builder
	b.WriteString(`<pre class="wb-transcript wb-repl" data-proto="`)
	b.WriteString(attrWord(kind))
	b.WriteString(`"><code>`)
	k := 0
	for i, ev := range events {
		if ev.Kind == protocols.Client {
			b.WriteString(`<span class="wb-line wb-c"><span class="wb-prompt" data-p="`)
			b.WriteString(template.HTMLEscapeString(prompts[i]))
			b.WriteString(`" aria-hidden="true"></span><span class="wb-text">`)
			w := &htmlWriter{b: &b, subs: subs[i]}
			for _, t := range toks[k] {
				if cls := tokenClass(t.Type); cls != "" {
					b.WriteString(`<span class="` + cls + `">`)
					w.text(t.Value)
					b.WriteString(`</span>`)
				} else {
					w.text(t.Value)
				}
			}
			k++
			b.WriteString("\n</span></span>")
			continue
		}
		cls := "wb-line wb-o"
		switch {
		case debugClient.MatchString(ev.Text):
			cls += " wb-o-c"
		case debugServer.MatchString(ev.Text):
			cls += " wb-o-s"
		}
		b.WriteString(`<span class="` + cls + `"><span class="wb-text">`)
		(&htmlWriter{b: &b, subs: subs[i]}).text(clean[i])
		b.WriteString("\n</span></span>")
	}
	b.WriteString(`</code></pre>`)
	return template.HTML(b.String()) // #nosec G203 -- built from escaped text only
}

// splitPrompt cuts a statement line into its prompt (">>> ", "... ", "$ ",
// "> ") and the statement.
func splitPrompt(kind, line string) (prompt, text string) {
	ps := []string{">>> ", "... "}
	if kind == "console" {
		ps = []string{"$ ", "> "}
	}
	for _, p := range ps {
		if rest, ok := strings.CutPrefix(line, p); ok {
			return p, rest
		}
		if line == strings.TrimSpace(p) {
			return p, ""
		}
	}
	return "", line
}
