// Package coursegen writes a synthetic course of N labs for the render
// benchmark (bench/render): prose, headings, lists, tables, a code block
// and about ten written session transcripts a page (SMTP, POP3, IMAP and
// HTTP, with message bodies and IMAP literals), so that `build --offline`
// renders every transcript without contacting a server. The same N and
// seed always give the same bytes.
package coursegen

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Options say what to generate.
type Options struct {
	Labs int    // number of lab pages
	Seed uint64 // 0 means 1
	// Hugo also writes the same pages as a Hugo site under HugoDir
	// (content/, layouts/, hugo.toml) when HugoDir is set.
	HugoDir string
}

// Write writes index.md and Labs lab files into dir, and the Hugo copy when
// asked. It returns the total bytes of Markdown written for the labs.
func Write(dir string, opts Options) (int64, error) {
	seed := opts.Seed
	if seed == 0 {
		seed = 1
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	index := "---\ntitle: \"A generated course\"\n---\n\nA course of " + fmt.Sprint(opts.Labs) + " generated labs for the render benchmark.\n"
	if err := os.WriteFile(filepath.Join(dir, "index.md"), []byte(index), 0o644); err != nil {
		return 0, err
	}
	if opts.HugoDir != "" {
		if err := writeHugoSkeleton(opts.HugoDir, opts.Labs); err != nil {
			return 0, err
		}
	}
	var total int64
	for i := 1; i <= opts.Labs; i++ {
		g := &gen{r: rand.New(rand.NewPCG(seed, uint64(i)))}
		front, body := g.lab(i)
		name := fmt.Sprintf("lab-%05d.md", i)
		src := front + body
		total += int64(len(src))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			return 0, err
		}
		if opts.HugoDir != "" {
			// Hugo reads the same front matter keys (title, summary,
			// weight for order); the body is the same Markdown.
			hfront := strings.Replace(front, "order:", "weight:", 1)
			if err := os.WriteFile(filepath.Join(opts.HugoDir, "content", name), []byte(hfront+body), 0o644); err != nil {
				return 0, err
			}
		}
	}
	return total, nil
}

// writeHugoSkeleton writes a minimal Hugo site: a page template with the
// title, a table of contents and the content, and an index listing every
// page, highlighting fenced code with chroma classes as wirebook does.
func writeHugoSkeleton(dir string, n int) error {
	for _, d := range []string{"content", "layouts/_default"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	files := map[string]string{
		"hugo.toml": `baseURL = "http://example.org/"
title = "A generated course"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[markup.highlight]
  noClasses = false
  codeFences = true
  guessSyntax = false
[markup.goldmark.renderer]
  unsafe = false
`,
		"layouts/_default/single.html": `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title><link rel="stylesheet" href="/style.css"></head>
<body><nav>{{ .TableOfContents }}</nav><main><h1>{{ .Title }}</h1>{{ .Content }}</main>
<footer>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }} {{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</footer></body></html>
`,
		"layouts/index.html": `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Site.Title }}</title></head>
<body><ol>{{ range .Site.RegularPages.ByWeight }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Summary }}</li>{{ end }}</ol></body></html>
`,
		"layouts/_default/list.html": `{{ define "main" }}{{ end }}`,
		"content/_index.md":          "---\ntitle: \"A generated course\"\n---\n\nA course of " + fmt.Sprint(n) + " generated labs.\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

type gen struct {
	r *rand.Rand
	b strings.Builder
}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

var words = strings.Fields(`the a server client line reply command message mailbox folder
protocol session greeting answer request response header body status code
number connection port host name user password login flag seen recent
literal tag untagged continuation dot transparency envelope recipient sender
queue capability extension encoding octets bytes size copy delete expunge
select fetch search list store append noop quit retrieve top uidl stat
date subject content type length cache keep alive close open wait read write
sends receives expects announces accepts refuses counts names marks shows
first last next every each another this that which whose when before after
quickly slowly carefully exactly plainly only always never often`)

func (g *gen) sentence() string {
	n := 6 + g.r.IntN(14)
	ws := make([]string, n)
	for i := range ws {
		ws[i] = g.pick(words)
		if g.r.IntN(12) == 0 {
			ws[i] = "`" + strings.ToUpper(ws[i]) + "`"
		}
		if g.r.IntN(25) == 0 {
			ws[i] = "*" + ws[i] + "*"
		}
	}
	s := strings.Join(ws, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func (g *gen) paragraph() {
	n := 2 + g.r.IntN(3)
	col := 0
	for range n {
		for _, w := range strings.Fields(g.sentence()) {
			if col+len(w) > 72 {
				g.b.WriteByte('\n')
				col = 0
			} else if col > 0 {
				g.b.WriteByte(' ')
				col++
			}
			g.b.WriteString(w)
			col += len(w)
		}
	}
	g.b.WriteString("\n\n")
}

func (g *gen) title() string {
	t := g.pick(words) + " " + g.pick(words) + " " + g.pick(words)
	return strings.ToUpper(t[:1]) + t[1:]
}

func (g *gen) lab(i int) (front, body string) {
	title := fmt.Sprintf("Lab %d: %s", i, g.title())
	front = fmt.Sprintf("---\ntitle: %q\nsummary: %q\norder: %d\n---\n\n", title, strings.TrimSuffix(g.sentence(), "."), i)
	g.b.WriteString("# " + title + "\n\n")
	g.paragraph()
	sections := 5
	for s := range sections {
		g.b.WriteString("## " + g.title() + "\n\n")
		g.paragraph()
		switch s {
		case 1:
			g.table()
		case 2:
			g.list()
		case 3:
			g.code()
		}
		// Two transcripts a section: ten a page.
		for range 2 {
			g.session()
			g.paragraph()
		}
		if g.r.IntN(2) == 0 {
			g.b.WriteString("### " + g.title() + "\n\n")
			g.paragraph()
		}
	}
	return front, g.b.String()
}

func (g *gen) table() {
	g.b.WriteString("| command | reply | meaning |\n|---|---|---|\n")
	for range 4 + g.r.IntN(4) {
		fmt.Fprintf(&g.b, "| `%s` | `%d` | %s |\n", strings.ToUpper(g.pick(words)), 200+g.r.IntN(360), strings.TrimSuffix(g.sentence(), "."))
	}
	g.b.WriteString("\n")
}

func (g *gen) list() {
	for range 3 + g.r.IntN(3) {
		g.b.WriteString("- " + g.sentence() + "\n")
	}
	g.b.WriteString("\n")
}

func (g *gen) code() {
	fmt.Fprintf(&g.b, "```python\nimport smtplib\n\nwith smtplib.SMTP(%q, %d) as s:\n    s.ehlo(%q)\n    code, reply = s.noop()\n    print(code, reply.decode())\n```\n\n",
		"127.0.0.1", 2525+g.r.IntN(100), "client.example")
}

func (g *gen) session() {
	switch g.r.IntN(8) {
	case 0, 1:
		g.smtpSend()
	case 2:
		g.smtpError()
	case 3:
		g.pop3()
	case 4, 5:
		g.imap()
	default:
		g.http()
	}
	g.b.WriteString("\n")
}

func (g *gen) lines(lines ...string) {
	for _, l := range lines {
		g.b.WriteString(l)
		g.b.WriteByte('\n')
	}
}

func (g *gen) bodyLines(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strings.TrimSuffix(g.sentence(), ".")
		if len(out[i]) > 70 {
			out[i] = out[i][:70]
		}
	}
	return out
}

func (g *gen) smtpSend() {
	subject := g.title()
	g.lines("```smtp",
		"N: connected to mail.example.com (smtp, port 25)",
		"S: 220 mail.example.com ESMTP wirebook lab server",
		"C: EHLO client.example",
		"S: 250-mail.example.com",
		"S: 250-PIPELINING",
		"S: 250-SIZE 10485760",
		"S: 250-8BITMIME",
		"S: 250-ENHANCEDSTATUSCODES",
		"S: 250 STARTTLS",
		"C: MAIL FROM:<teacher@example.com>",
		"S: 250 2.1.0 Ok",
		"C: RCPT TO:<alice@example.com>",
		"S: 250 2.1.5 Ok",
		"C: DATA",
		"S: 354 End data with <CR><LF>.<CR><LF>",
		"C: From: Teacher <teacher@example.com>",
		"C: To: Alice <alice@example.com>",
		"C: Subject: "+subject,
		"C:")
	for _, l := range g.bodyLines(2 + g.r.IntN(12)) {
		g.lines("C: " + l)
	}
	g.lines("C: .",
		fmt.Sprintf("S: 250 2.0.0 Ok: queued as Q%05d", 1+g.r.IntN(99999)),
		"C: QUIT",
		"S: 221 2.0.0 Bye",
		"N: connection closed by the server",
		"```")
}

func (g *gen) smtpError() {
	g.lines("```smtp",
		"N: connected to mail.example.com (smtp, port 25)",
		"S: 220 mail.example.com ESMTP wirebook lab server",
		"C: EHLO client.example",
		"S: 250-mail.example.com",
		"S: 250-PIPELINING",
		"S: 250 ENHANCEDSTATUSCODES",
		"C: RCPT TO:<alice@example.com>",
		"S: 503 5.5.1 Error: need MAIL command",
		"C: MAIL FROM:<teacher@example.com> SIZE="+fmt.Sprint(100+g.r.IntN(9000)),
		"S: 250 2.1.0 Ok",
		"C+ RCPT TO:<nobody@example.com>",
		"C+ RCPT TO:<alice@example.com>",
		"S: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown",
		"S: 250 2.1.5 Ok",
		"C: HELLO",
		"S: 500 5.5.2 Error: command not recognized",
		"C: QUIT",
		"S: 221 2.0.0 Bye",
		"N: connection closed by the server",
		"```")
}

func (g *gen) pop3() {
	body := g.bodyLines(3 + g.r.IntN(10))
	g.lines("```pop3",
		"N: connected to mail.example.com (pop3, port 110)",
		"S: +OK wirebook lab POP3 server ready.",
		"C: USER alice",
		"S: +OK Send PASS for alice.",
		"C: PASS alice-pw",
		"S: +OK alice's maildrop has 1 message (322 octets).",
		"C: LIST",
		"S: +OK 1 messages:",
		"S: 1 322",
		"S: .",
		"C: RETR 1",
		"S: +OK 322 octets",
		"S: Subject: "+g.title(),
		"S:")
	for _, l := range body {
		g.lines("S: " + l)
	}
	g.lines("S: .",
		"C: DELE 9",
		"S: -ERR [SYS/PERM] There's no message 9.",
		"C: QUIT",
		"S: +OK mail.example.com POP3 server signing off (1 message left).",
		"N: connection closed by the server",
		"```")
}

func (g *gen) imap() {
	body := g.bodyLines(2 + g.r.IntN(6))
	size := 0
	for _, l := range body {
		size += len(l) + 2
	}
	g.lines("```imap",
		"N: connected to mail.example.com (imap, port 143)",
		"S: * OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS STARTTLS AUTH=PLAIN] wirebook lab IMAP server ready.",
		"C: A0001 LOGIN alice \"alice pw\"",
		"S: A0001 OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS] Logged in.",
		"C: A0002 SELECT INBOX",
		"S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
		"S: * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.",
		fmt.Sprintf("S: * %d EXISTS", 1+g.r.IntN(9)),
		"S: * 1 RECENT",
		"S: * OK [UIDVALIDITY 1700000000] UIDs valid",
		"S: A0002 OK [READ-WRITE] Select completed.",
		"C: A0003 FETCH 1 (FLAGS BODY[TEXT])",
		fmt.Sprintf("S: * 1 FETCH (FLAGS (\\Seen \\Recent) BODY[TEXT] {%d}", size))
	for _, l := range body {
		g.lines("S: " + l)
	}
	g.lines("S: )",
		"S: A0003 OK Fetch completed.",
		"C: A0004 UID SEARCH UNSEEN",
		"S: * SEARCH",
		"S: A0004 OK Search completed.",
		"C: A0005 FOO",
		"S: A0005 BAD Error in IMAP command FOO: Unknown command.",
		"C: A0006 LOGOUT",
		"S: * BYE mail.example.com IMAP4rev1 server logging out.",
		"S: A0006 OK Logout completed.",
		"N: connection closed by the server",
		"```")
}

func (g *gen) http() {
	page := g.pick([]string{"/hello.txt", "/index.html", "/missing", "/docs/protocols.html"})
	status := "200 OK"
	if page == "/missing" {
		status = "404 Not Found"
	}
	body := g.bodyLines(1 + g.r.IntN(5))
	n := 0
	for _, l := range body {
		n += len(l) + 1
	}
	g.lines("```http",
		"N: connected to www.example.com (http, port 80)",
		"C: GET "+page+" HTTP/1.1",
		"C: Host: www.example.com",
		"C: User-Agent: curl/8.5.0",
		"C: Connection: close",
		"C:",
		"S: HTTP/1.1 "+status,
		fmt.Sprintf("S: Content-Length: %d", n),
		"S: Content-Type: text/plain; charset=utf-8",
		"S: Date: Mon, 05 Jan 2026 09:00:02 GMT",
		"S: Server: wirebook-lab/1",
		"S: Connection: close",
		"S:")
	for _, l := range body {
		g.lines("S: " + l)
	}
	g.lines("N: connection closed by the server", "```")
}
