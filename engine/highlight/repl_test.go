package highlight

import (
	"regexp"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols"
)

func TestReplSeparatesStatementsAndOutput(t *testing.T) {
	events := []protocols.Event{
		{Kind: protocols.Client, Text: ">>> s.ehlo()", Source: 2},
		{Kind: protocols.Server, Text: "send: 'ehlo [127.0.0.1]\\r\\n'"},
		{Kind: protocols.Server, Text: "reply: b'250 OK\\r\\n'"},
		{Kind: protocols.Server, Text: "  57:04.83 > b'FNHG3 LIST \"\" *'"},
		{Kind: protocols.Server, Text: "  57:04.83 < b'* LIST () \"/\" INBOX'"},
		{Kind: protocols.Server, Text: "<b>not markup</b>\x1b[31m"},
		{Kind: protocols.Client, Text: ">>> for i in x:", Source: 3},
		{Kind: protocols.Client, Text: "...     print('a')", Source: 4},
	}
	got := string(Repl(events, "pycon"))
	for _, want := range []string{
		`<span class="wb-line wb-c"><span class="wb-prompt" data-p="&gt;&gt;&gt; " aria-hidden="true"></span><span class="wb-text">`,
		`data-p="... "`,
		`<span class="wb-line wb-o wb-o-c"><span class="wb-text">send: `,
		`<span class="wb-line wb-o wb-o-s"><span class="wb-text">reply: `,
		`<span class="wb-line wb-o wb-o-c"><span class="wb-text">  57:04.83 &gt; `,
		`<span class="wb-line wb-o wb-o-s"><span class="wb-text">  57:04.83 &lt; `,
		`&lt;b&gt;not markup&lt;/b&gt;`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Repl output lacks %s\n%s", want, got)
		}
	}
	if strings.Contains(got, "\x1b") || strings.Contains(got, "<b>") {
		t.Errorf("unescaped server text in %s", got)
	}
	// The statements' text (what the copy button takes) has no prompt.
	text := regexp.MustCompile(`<span class="wb-line wb-c">.*?<span class="wb-text">(.*?)\n</span></span>`)
	tags := regexp.MustCompile(`<[^>]+>`)
	var stmts []string
	for _, m := range text.FindAllStringSubmatch(got, -1) {
		stmts = append(stmts, tags.ReplaceAllString(m[1], ""))
	}
	if want := []string{"s.ehlo()", "for i in x:", "    print(&#39;a&#39;)"}; strings.Join(stmts, "|") != strings.Join(want, "|") {
		t.Errorf("statements = %q, want %q", stmts, want)
	}
	if !strings.Contains(got, `<span class="k">for</span>`) {
		t.Errorf("statements are not highlighted as Python:\n%s", got)
	}
}

func TestReplConsole(t *testing.T) {
	got := string(Repl([]protocols.Event{
		{Kind: protocols.Client, Text: "$ curl -v http://x/"},
		{Kind: protocols.Server, Text: "> GET / HTTP/1.1"},
		{Kind: protocols.Server, Text: "< HTTP/1.1 200 OK"},
		{Kind: protocols.Server, Text: "[1]"},
	}, "console"))
	for _, want := range []string{`data-p="$ "`, `wb-o wb-o-c"><span class="wb-text">&gt; GET`, `wb-o wb-o-s"><span class="wb-text">&lt; HTTP`, `<span class="wb-line wb-o"><span class="wb-text">[1]`} {
		if !strings.Contains(got, want) {
			t.Errorf("console lacks %s\n%s", want, got)
		}
	}
}
