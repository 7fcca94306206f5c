package render

import (
	"errors"
	"flag"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/protocols"
)

var update = flag.Bool("update", os.Getenv("UPDATE_GOLDEN") != "", "rewrite testdata/*.golden (or set UPDATE_GOLDEN=1)")

var when = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

func isSession(p string) bool { return p == "smtp" || p == "pop3" || p == "http" }

// parseLab parses src as a lab named path; it fails the test on lab errors.
func parseLab(t *testing.T, path, src string) *lab.Lab {
	t.Helper()
	l, err := lab.Parse(path, []byte(src), isSession)
	if err != nil {
		t.Fatalf("lab.Parse(%s): %v", path, err)
	}
	return l
}

func c(text string) protocols.Event { return protocols.Event{Kind: protocols.Client, Text: text} }
func s(text string) protocols.Event { return protocols.Event{Kind: protocols.Server, Text: text} }
func n(text string) protocols.Event { return protocols.Event{Kind: protocols.Note, Text: text} }
func body(text string) protocols.Event {
	return protocols.Event{Kind: protocols.Server, Text: text, Payload: true}
}

// demoLab has one session block per badge state, headings at three
// levels, a plain code block and a long folded message body.
const demoLab = "---\n" +
	"title: Mail by hand\n" +
	"summary: Talk SMTP and POP3 to a server.\n" +
	"---\n" +
	"# Mail by hand\n" +
	"\n" +
	"Intro with `code` and a [link](https://example.org/).\n" +
	"\n" +
	"## Saying hello\n" +
	"\n" +
	"```smtp\n" +
	"C: EHLO client.example\n" +
	"C: QUIT\n" +
	"```\n" +
	"\n" +
	"### Checked against the lab\n" +
	"\n" +
	"```smtp\n" +
	"C: NOOP\n" +
	"S: 250 2.0.0 Ok\n" +
	"```\n" +
	"\n" +
	"## Reading mail\n" +
	"\n" +
	"```pop3\n" +
	"C: RETR 1\n" +
	"```\n" +
	"\n" +
	"```pop3\n" +
	"C: USER alice\n" +
	"```\n" +
	"\n" +
	"## Offline & \"quoted\"\n" +
	"\n" +
	"```smtp\n" +
	"C: HELP\n" +
	"S: 214 see RFC 5321\n" +
	"```\n" +
	"\n" +
	"#### Not in the table of contents\n" +
	"\n" +
	"```sh\n" +
	"python3 -c 'print(1)'\n" +
	"```\n"

// demoViews are hand-made results for demoLab's blocks, by fence line.
func demoViews(t *testing.T, l *lab.Lab) map[int]*SessionView {
	t.Helper()
	if len(l.Blocks) != 5 {
		t.Fatalf("demo lab has %d session blocks, want 5", len(l.Blocks))
	}
	retr := []protocols.Event{n("connected to mail.example.com (pop3, port 110)"), c("RETR 1"), s("+OK 12 lines")}
	for i := 1; i <= 12; i++ {
		retr = append(retr, body("line "+strings.Repeat("x", i)))
	}
	retr = append(retr, s("."))
	views := []*SessionView{
		{Proto: "smtp", Status: StatusCaptured, Server: "lab", Embedded: true, Software: "ESMTP wirebook", When: when,
			Events: []protocols.Event{n("connected to mail.example.com (smtp, port 25)"), s("220 mail.example.com ESMTP"),
				c("EHLO client.example"), s("250-mail.example.com"), s("250 PIPELINING"), c("QUIT"), s("221 2.0.0 Bye"),
				n("connection closed by the server")}},
		{Proto: "smtp", Status: StatusVerified, Server: "lab", Embedded: true, When: when,
			Events: []protocols.Event{c("NOOP"), s("250 2.0.0 Ok")}},
		{Proto: "pop3", Status: StatusMismatch, Server: "school", Software: "Dovecot ready.", When: when,
			Message: "line 24: 12 lines, the lab says 3", Detail: "-S: +OK 3 lines\n+S: +OK 12 lines",
			Events: retr},
		{Proto: "pop3", Status: StatusFailed, Server: "school", Insecure: true, When: when, Message: "connection refused",
			Events: []protocols.Event{n("error: dial tcp 127.0.0.1:110: connection refused")}},
		{Proto: "smtp", Status: StatusOffline,
			Events: []protocols.Event{c("HELP"), s("214 see RFC 5321")}},
	}
	out := map[int]*SessionView{}
	for i, b := range l.Blocks {
		out[b.Line] = views[i]
	}
	return out
}

// buildDemo writes a two-lab site and returns the first lab's page.
func buildDemo(t *testing.T) string {
	t.Helper()
	first := parseLab(t, "labs/01-mail.md", demoLab)
	second := parseLab(t, "labs/02-next.md", "# The next lab\n\nNothing yet.\n")
	out := t.TempDir()
	pages := []LabPage{
		{Result: &engine.LabResult{Path: first.Path, Lab: first}, Sessions: demoViews(t, first)},
		{Result: &engine.LabResult{Path: second.Path, Lab: second}, Sessions: map[int]*SessionView{}},
	}
	if err := WriteSite(out, Course{Title: "Wire course"}, pages); err != nil {
		t.Fatalf("WriteSite: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(out, "01-mail.html"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLabPageGolden(t *testing.T) {
	got := buildDemo(t)
	golden := filepath.Join("testdata", "lab-page.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != string(want) {
		t.Errorf("lab page differs from %s (UPDATE_GOLDEN=1 rewrites it):\n%s", golden, firstDifference(string(want), got))
	}
	// The same input renders the same bytes: builds are reproducible.
	if again := buildDemo(t); again != got {
		t.Errorf("two builds of the same lab differ:\n%s", firstDifference(got, again))
	}
}

// firstDifference shows the first differing line of two texts.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + "\n want: " + wl + "\n  got: " + gl
		}
	}
	return "(no line differs)"
}

func TestLabPageParts(t *testing.T) {
	page := buildDemo(t)
	for _, want := range []string{
		`<title>Mail by hand · Wire course</title>`,
		`<a class="wb-home" href="index.html">Wire course</a>`,
		`<a class="wb-next" rel="next" href="02-next.html">`,
		`1 of 5 sessions passed: 1 verified, 1 captured (not verified), 2 failed, 1 not run (offline)`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, `rel="prev"`) {
		t.Errorf("the first lab links to a previous one")
	}
	// Plain code blocks are highlighted code, not transcripts.
	if !strings.Contains(page, `class="wb-code`) {
		t.Errorf("the sh block is not rendered as code")
	}
}

func TestHeadingAnchorsAndTOC(t *testing.T) {
	src := "# Title\n\n## Saying hello\n\n### Using `EHLO` & friends\n\n## Saying hello\n\n#### Deep\n\n## <b>raw</b> \"quoted\"\n"
	r, err := renderMarkdown([]byte(src), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := string(r.Body)
	var got []string
	for _, e := range r.TOC {
		got = append(got, strconv.Itoa(e.Level)+" "+e.ID+" "+e.Text)
	}
	want := []string{
		"2 saying-hello Saying hello",
		"3 using-ehlo--friends Using EHLO & friends",
		"2 saying-hello-1 Saying hello",
		"2 brawb-quoted raw \"quoted\"", // goldmark builds the id from the source text
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("TOC:\n got: %q\nwant: %q", got, want)
	}
	ids := map[string]bool{}
	for _, e := range r.TOC {
		if ids[e.ID] {
			t.Errorf("duplicate heading id %q", e.ID)
		}
		ids[e.ID] = true
		// Every TOC entry's heading carries the id and a link to itself.
		tag := "<h" + strconv.Itoa(e.Level) + ` id="` + e.ID + `">`
		if !strings.Contains(body, tag) {
			t.Errorf("no %s in the body", tag)
		}
		anchor := `<a class="wb-anchor" href="#` + e.ID + `" aria-label="Link to this section">#</a></h` + strconv.Itoa(e.Level) + ">"
		if !strings.Contains(body, anchor) {
			t.Errorf("heading %q lacks its anchor %s", e.ID, anchor)
		}
	}
	// Raw HTML in a heading is not passed through.
	if strings.Contains(body, "<b>raw</b>") {
		t.Errorf("raw HTML in a heading reached the page:\n%s", body)
	}

	// The template escapes TOC text and ids.
	page := buildDemo(t)
	for _, want := range []string{
		`<li class="wb-toc-2"><a href="#saying-hello">Saying hello</a></li>`,
		`<li class="wb-toc-3"><a href="#checked-against-the-lab">Checked against the lab</a></li>`,
		`<li class="wb-toc-2"><a href="#offline--quoted">Offline &amp; &#34;quoted&#34;</a></li>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page TOC lacks %s", want)
		}
	}
	toc := page[strings.Index(page, `<nav class="wb-toc"`):]
	toc = toc[:strings.Index(toc, "</nav>")]
	if strings.Contains(toc, `href="#not-in-the-table-of-contents"`) {
		t.Errorf("a level-4 heading is in the TOC")
	}
}

func TestHostileServerTextIsEscaped(t *testing.T) {
	hostile := []string{
		`<script>alert(1)</script>`,
		`"><img src=x onerror=alert(2)>`,
		"220 \x1b[31mred\x1b[0m </pre></figure><h1>owned</h1>",
		`</code></pre><a href="javascript:alert(3)">x</a>`,
	}
	var events []protocols.Event
	for _, h := range hostile {
		events = append(events, s(h), body(h))
	}
	v := &SessionView{
		Proto: `smtp"><script>`, Status: StatusMismatch, Server: `<b>evil</b>`, Software: `<i>ESMTP</i>`, When: when,
		Message: `<script>alert(4)</script>`, Detail: `</pre><script>alert(5)</script>`, Events: events,
	}
	got := string(sessionHTML(v))
	for _, bad := range []string{"<script", "<img", "<h1>", "<b>", "<i>", `href="javascript`, "\x1b", "</figure><"} {
		if strings.Contains(got, bad) {
			t.Errorf("hostile text reached the markup as %q:\n%s", bad, got)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;evil&lt;/b&gt;", "&lt;/pre&gt;&lt;script&gt;alert(5)"} {
		if !strings.Contains(got, want) {
			t.Errorf("escaped text %q missing:\n%s", want, got)
		}
	}
	// The markup stays balanced: one figure, one pre, closed.
	if strings.Count(got, "<figure") != 1 || strings.Count(got, "</figure>") != 1 || !strings.HasSuffix(got, "</figure>") {
		t.Errorf("figure not balanced:\n%s", got)
	}
	if strings.Count(got, "<pre") != 2 || strings.Count(got, "</pre>") != 2 { // the transcript and the diff
		t.Errorf("pre not balanced:\n%s", got)
	}
}

func TestPayloadFolding(t *testing.T) {
	long := []protocols.Event{c("RETR 1"), s("+OK")}
	bytes := 0
	for i := 0; i < 20; i++ {
		line := "body line " + strconv.Itoa(i)
		bytes += len(line) + 2
		long = append(long, body(line))
	}
	long = append(long, s("."))
	short := []protocols.Event{c("RETR 2"), s("+OK"), body("Subject: hi"), body(""), body("short"), s(".")}

	tests := []struct {
		name    string
		events  []protocols.Event
		summary string // "" when nothing may fold
	}{
		{"long body folds", long, "message body — 20 lines, " + strconv.Itoa(bytes) + " bytes"},
		{"short body stays open", short, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(sessionHTML(&SessionView{Proto: "pop3", Status: StatusVerified, Events: tt.events}))
			folds := strings.Count(got, `<details class="wb-payload">`)
			if tt.summary == "" {
				if folds != 0 {
					t.Errorf("%d folds, want none:\n%s", folds, got)
				}
				return
			}
			if folds != 1 {
				t.Fatalf("%d folds, want 1:\n%s", folds, got)
			}
			if !strings.Contains(got, "<summary>"+tt.summary+"</summary>") {
				t.Errorf("summary %q missing:\n%s", tt.summary, got)
			}
			// Every body line is inside the fold; the status line and the
			// terminating dot are not.
			in := got[strings.Index(got, "<details"):strings.Index(got, "</details>")]
			if c := strings.Count(in, `wb-p"`); c != 20 {
				t.Errorf("%d payload lines in the fold, want 20", c)
			}
			if strings.Contains(in, "+OK") {
				t.Errorf("the status line is folded away")
			}
		})
	}
}

func TestBadges(t *testing.T) {
	tests := []struct {
		view       SessionView
		text, word string
	}{
		{SessionView{Status: StatusCaptured, Embedded: true, Software: "ESMTP wirebook", When: when},
			"captured from the embedded lab server (ESMTP wirebook) on 2026-03-14; not verified: nothing written in the lab to compare with", "captured"},
		{SessionView{Status: StatusExpected, Server: "school", When: when, Outcome: "refused with 550, as the lab expects"},
			"expected failure met: refused with 550, as the lab expects; verified against school on 2026-03-14", "expected 550"},
		{SessionView{Status: StatusVerified, Server: "school", When: when},
			"verified against school on 2026-03-14", "verified"},
		{SessionView{Status: StatusMismatch, Server: "school", When: when, Message: "line 9: 550, the lab says 250"},
			"differs from school on 2026-03-14: line 9: 550, the lab says 250", "differs"},
		{SessionView{Status: StatusFailed, Server: "school", When: when, Insecure: true, Message: "connection refused"},
			"failed against school on 2026-03-14: connection refused; TLS certificate NOT verified", "failed"},
		{SessionView{Status: StatusOffline, Server: "school"},
			"not run: transcript as written in the lab", "offline"},
	}
	for _, tt := range tests {
		t.Run(tt.view.Status, func(t *testing.T) {
			tt.view.Proto = "smtp"
			tt.view.Events = []protocols.Event{c("NOOP"), s("250 Ok")}
			got := string(sessionHTML(&tt.view))
			// One short line (icon, word, server); the whole sentence is
			// its tooltip and, for screen readers and print, its detail.
			esc := template.HTMLEscapeString(tt.text)
			want := `<figcaption class="wb-badge wb-badge-` + tt.view.Status + `" title="` + esc + `">`
			if !strings.Contains(got, want) || !strings.Contains(got, `<span class="wb-badge-detail">: `+esc+`</span></figcaption>`) {
				t.Errorf("badge:\n got: %s\nwant: %s", firstMatch(got, `<figcaption.*?</figcaption>`), want)
			}
			if w := `<span class="wb-badge-word">` + tt.word + `</span>`; !strings.Contains(got, w) {
				t.Errorf("status word: want %s in %s", w, firstMatch(got, `<figcaption.*?</figcaption>`))
			}
			if !strings.Contains(got, `<figure class="wb-session wb-session-`+tt.view.Status+`"`) {
				t.Errorf("figure lacks its status class:\n%s", got)
			}
			// The copy button is in the markup but hidden until the script shows it.
			if !strings.Contains(got, `<button class="wb-copy" type="button" hidden>`) {
				t.Errorf("no hidden copy button:\n%s", got)
			}
			hasDiff := strings.Contains(got, `class="wb-mismatch"`)
			if hasDiff != (tt.view.Detail != "") {
				t.Errorf("diff shown = %v, want %v", hasDiff, tt.view.Detail != "")
			}
		})
	}
}

func TestLabStatusCounts(t *testing.T) {
	first := parseLab(t, "labs/01-mail.md", demoLab)
	p := LabPage{Result: &engine.LabResult{Path: first.Path, Lab: first}, Sessions: demoViews(t, first)}
	got := labTally(p)
	// A captured block is never counted as verified or passed; mismatch
	// and failed are failures; offline is neither.
	want := engine.Tally{Verified: 1, Captured: 1, Failed: 2, Offline: 1}
	if got != want || got.LabStatus() != "failed" || got.Passed() != 1 {
		t.Errorf("labTally = %+v (%s), want %+v failed", got, got.LabStatus(), want)
	}
	p.Result.Err = errors.New("labs/01-mail.md:3: front matter: bad")
	if got := labTally(p).LabStatus(); got != "failed" {
		t.Errorf("a lab with an error is %q, want failed", got)
	}
	// Captured only: not verified, nothing passed.
	for _, v := range p.Sessions {
		v.Status = StatusCaptured
	}
	p.Result.Err = nil
	if got := labTally(p); got.LabStatus() != "unverified" || got.Passed() != 0 {
		t.Errorf("a captured-only lab is %q with %d passed, want unverified, 0", got.LabStatus(), got.Passed())
	}
}

func TestLabErrorsShown(t *testing.T) {
	l := parseLab(t, "labs/01-bad.md", "# Bad lab\n\nText.\n")
	out := t.TempDir()
	err := WriteSite(out, Course{Title: "C"}, []LabPage{{
		Result:   &engine.LabResult{Path: l.Path, Lab: l, Err: errors.New("labs/01-bad.md:4: unknown attribute \"<x>\"\nlabs/01-bad.md:9: no closing fence")},
		Sessions: map[int]*SessionView{},
	}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "01-bad.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		`<div class="wb-errors" role="alert">`,
		`<li>labs/01-bad.md:4: unknown attribute &#34;&lt;x&gt;&#34;</li>`,
		`<li>labs/01-bad.md:9: no closing fence</li>`,
		`<span class="wb-status wb-status-failed">failed</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	idx, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(idx), `<a href="01-bad.html">Bad lab</a>`) {
		t.Errorf("index does not list the failing lab by its heading:\n%s", idx)
	}
}

func firstMatch(s, pattern string) string { return regexp.MustCompile(pattern).FindString(s) }
