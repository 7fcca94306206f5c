package site

import (
	"bytes"
	"html/template"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

func sampleLabs() []LabSummary {
	return []LabSummary{
		{Title: "SMTP by hand", Href: "smtp-by-hand.html", Summary: "Talk to a mail server.", Sessions: 3, Passed: 3, Counts: "3 of 3 sessions passed: 3 verified", Status: "verified"},
		{Title: "POP3", Href: "pop3.html", Sessions: 2, Passed: 1, Counts: "1 of 2 sessions passed: 1 verified, 1 failed", Status: "failed"},
		{Title: "IMAP", Href: "imap.html", Status: "unverified"},
	}
}

func render(t *testing.T, name string, data any) string {
	t.Helper()
	tmpl, err := Templates()
	if err != nil {
		t.Fatalf("Templates: %v", err)
	}
	var b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&b, name, data); err != nil {
		t.Fatalf("ExecuteTemplate(%s): %v", name, err)
	}
	return b.String()
}

func TestTemplatesParse(t *testing.T) {
	tmpl, err := Templates()
	if err != nil {
		t.Fatalf("Templates: %v", err)
	}
	for _, name := range []string{IndexTemplate, LabTemplate} {
		if tmpl.Lookup(name) == nil {
			t.Errorf("template %s missing", name)
		}
	}
	// The renderer loads them this way, without a FuncMap.
	if _, err := template.ParseFS(FS, "templates/*.html"); err != nil {
		t.Errorf("ParseFS: %v", err)
	}
}

func TestIndex(t *testing.T) {
	got := render(t, IndexTemplate, SiteData{
		CourseTitle: "Mail on the wire",
		Intro:       template.HTML("<p>Welcome.</p>"),
		Labs:        sampleLabs(),
		CSSHref:     "assets/style.css",
		JSHref:      "assets/wirebook.js",
	})
	for _, want := range []string{
		"<!DOCTYPE html>",
		"<title>Mail on the wire</title>",
		`<link rel="stylesheet" href="assets/style.css">`,
		`<script src="assets/wirebook.js" defer></script>`,
		"<h1>Mail on the wire</h1>",
		"<p>Welcome.</p>",
		`<a href="smtp-by-hand.html">SMTP by hand</a>`,
		`<span class="wb-status wb-status-verified">verified</span>`,
		`<span class="wb-status wb-status-failed">failed</span>`,
		`<span class="wb-status wb-status-unverified">not verified</span>`,
		"3 of 3 sessions passed: 3 verified",
		"1 of 2 sessions passed: 1 verified, 1 failed",
		"Talk to a mail server.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("index lacks %q\n%s", want, got)
		}
	}
	// Labs appear in the order given.
	if a, b, c := strings.Index(got, "SMTP by hand"), strings.Index(got, ">POP3<"), strings.Index(got, ">IMAP<"); !(a < b && b < c) {
		t.Errorf("labs out of order: %d %d %d", a, b, c)
	}
	if strings.Contains(got, "/_wirebook/version") {
		t.Errorf("live reload script present without LiveReload")
	}
}

func TestLab(t *testing.T) {
	labs := sampleLabs()
	got := render(t, LabTemplate, PageData{
		CourseTitle: "Mail on the wire",
		Title:       "POP3",
		Body:        template.HTML(`<h1 id="pop3">POP3</h1><figure class="wb-session"></figure>`),
		TOC:         []TOCEntry{{Level: 2, ID: "login", Text: "Logging in"}, {Level: 3, ID: "retr", Text: "RETR"}},
		Prev:        &labs[0],
		Next:        &labs[2],
		Status:      "failed",
		Sessions:    2, Passed: 1, Counts: "1 of 2 sessions passed: 1 verified, 1 failed",
		Errors:     []string{"pop3.md:12: unknown protocol"},
		CSSHref:    "assets/style.css",
		JSHref:     "assets/wirebook.js",
		LiveReload: true,
	})
	for _, want := range []string{
		"<title>POP3 · Mail on the wire</title>",
		`<a class="wb-home" href="index.html">Mail on the wire</a>`,
		`<nav class="wb-toc"`,
		`<li class="wb-toc-2"><a href="#login">Logging in</a></li>`,
		`<li class="wb-toc-3"><a href="#retr">RETR</a></li>`,
		`<h1 id="pop3">POP3</h1><figure class="wb-session"></figure>`,
		`<a class="wb-prev" rel="prev" href="smtp-by-hand.html">`,
		`<a class="wb-next" rel="next" href="imap.html">`,
		`<div class="wb-errors" role="alert">`,
		"<li>pop3.md:12: unknown protocol</li>",
		`fetch("/_wirebook/version"`,
		"setTimeout(poll, 500)",
		"<footer",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lab page lacks %q\n%s", want, got)
		}
	}
}

func TestLabEnds(t *testing.T) {
	got := render(t, LabTemplate, PageData{CourseTitle: "C", Title: "Only lab", Status: "unverified"})
	for _, bad := range []string{`class="wb-pager"`, `class="wb-toc"`, `class="wb-errors"`, "<script"} {
		if strings.Contains(got, bad) {
			t.Errorf("lab page without prev/next/TOC/errors/JS has %q\n%s", bad, got)
		}
	}
}

func TestHostileDataIsEscaped(t *testing.T) {
	const evil = `</title><script>alert(1)</script>"'&`
	bad := &LabSummary{Title: evil, Href: `javascript:alert(1)`, Summary: evil, Status: `x" onclick="alert(1)`}
	index := render(t, IndexTemplate, SiteData{CourseTitle: evil, Labs: []LabSummary{*bad}, CSSHref: `"><script>`})
	lab := render(t, LabTemplate, PageData{CourseTitle: evil, Title: evil, Prev: bad,
		TOC: []TOCEntry{{Level: 2, ID: `x"><script>`, Text: evil}}, Errors: []string{evil}, Status: bad.Status})
	for name, got := range map[string]string{"index": index, "lab": lab} {
		if strings.Contains(got, "<script>alert(1)") || strings.Contains(got, `"><script>`) {
			t.Errorf("%s: hostile text reached the page unescaped\n%s", name, got)
		}
		if strings.Contains(got, `href="javascript:`) {
			t.Errorf("%s: javascript: URL kept\n%s", name, got)
		}
		if strings.Contains(got, `onclick="alert(1)`) {
			t.Errorf("%s: attribute injection\n%s", name, got)
		}
		if !strings.Contains(got, "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: title not shown as text\n%s", name, got)
		}
	}
}

// No asset may make the browser fetch from elsewhere: no CDN, no web font.
func TestNoExternalRequests(t *testing.T) {
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|@import|url\(\s*['"]?(https?:|//)`)
	err := fs.WalkDir(FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(FS, path)
		if err != nil {
			return err
		}
		if m := external.Find(b); m != nil {
			t.Errorf("%s refers to %q", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStylesheet(t *testing.T) {
	css, err := fs.ReadFile(FS, "static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	s := string(css)
	for _, want := range []string{
		"@media (prefers-color-scheme: dark)",
		"@media print",
		"overflow-x: auto",
		"a.wb-anchor",
		".wb-copy[hidden] { display: none; }",
		".wb-badge-verified", ".wb-badge-failed", ".wb-badge-offline", ".wb-badge-mismatch", ".wb-badge-captured", ".wb-badge-expected",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("style.css lacks %q", want)
		}
	}
	if o, c := strings.Count(s, "{"), strings.Count(s, "}"); o != c {
		t.Errorf("style.css has %d { and %d }", o, c)
	}
}
