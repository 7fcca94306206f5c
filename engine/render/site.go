package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/engine/highlight"
	"github.com/wirebook/wirebook/internal/atomicfile"
	"github.com/wirebook/wirebook/protocols"
	"github.com/wirebook/wirebook/site"
)

// Session statuses shown in badges: engine's, the one model of every report.
const (
	StatusVerified = engine.StatusVerified
	StatusExpected = engine.StatusExpected
	StatusCaptured = engine.StatusCaptured
	StatusMismatch = engine.StatusMismatch
	StatusFailed   = engine.StatusFailed
	StatusOffline  = engine.StatusOffline
)

// SessionView is everything a page shows about one session block.
type SessionView struct {
	Proto    string
	Events   []protocols.Event
	Status   string
	Server   string // the lab's name for the server
	Software string // what its greeting announces
	Embedded bool
	Insecure bool
	When     time.Time
	Message  string // the error or the mismatch, for the badge
	Outcome  string // an expected failure that happened ("refused with 550, as the lab expects")
	Detail   string // a longer explanation (a diff), shown in place
}

// LabPage is one lab to render.
type LabPage struct {
	Result   *engine.LabResult
	Sessions map[int]*SessionView // by line of the opening fence
}

// Course is the site around the labs.
type Course struct {
	Title      string
	Intro      []byte // Markdown of the course index (labs/index.md), may be nil
	LiveReload bool
	// PageCache, when set, is a directory where a fingerprint of each page's
	// inputs is kept: a page whose inputs did not change is not rendered
	// again (highlighting is most of a build's time).
	PageCache string
}

// ViewsFromResults makes SessionViews from a lab's run.
func ViewsFromResults(r *engine.LabResult) map[int]*SessionView {
	out := map[int]*SessionView{}
	for _, s := range r.Sessions {
		v := &SessionView{Proto: s.Block.Proto, Events: s.Events, Status: s.Status, Server: s.Server,
			Software: s.Software, Embedded: s.Embedded, Insecure: s.Insecure, When: s.When, Message: s.Reason, Outcome: s.Outcome}
		if s.Status == engine.StatusMismatch && s.Comparison != nil {
			v.Detail = strings.Join(s.Comparison.Differences(), "\n") + "\n\n" + s.Comparison.UnifiedDiff(r.Expected(s))
		}
		if s.Note != "" && v.Detail != "" {
			v.Detail = s.Note + "\n\n" + v.Detail
		}
		out[s.Block.Line] = v
	}
	return out
}

func sessionHTML(s *SessionView) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<figure class="wb-session wb-session-%s" data-proto="%s">`, s.Status, template.HTMLEscapeString(s.Proto))
	fmt.Fprintf(&b, `<figcaption class="wb-badge wb-badge-%s">%s</figcaption>`, s.Status, template.HTMLEscapeString(badgeText(s)))
	b.WriteString(string(highlight.Transcript(s.Events, s.Proto, highlight.TranscriptOptions{})))
	if s.Detail != "" {
		fmt.Fprintf(&b, `<details class="wb-mismatch" open><summary>What differs from the lab</summary><pre>%s</pre></details>`, template.HTMLEscapeString(s.Detail))
	}
	b.WriteString(`<button class="wb-copy" type="button" hidden>Copy client lines</button></figure>`)
	return template.HTML(b.String())
}

func badgeText(s *SessionView) string {
	server := s.Server
	if s.Embedded {
		server = "the embedded lab server"
	}
	if s.Software != "" {
		server += " (" + s.Software + ")"
	}
	day := ""
	if !s.When.IsZero() {
		day = " on " + s.When.UTC().Format("2006-01-02")
	}
	insecure := ""
	if s.Insecure {
		insecure = "; TLS certificate NOT verified"
	}
	switch s.Status {
	case StatusVerified:
		return "verified against " + server + day + insecure
	case StatusExpected:
		return "expected failure met: " + s.Outcome + "; verified against " + server + day + insecure
	case StatusMismatch:
		return "differs from " + server + day + ": " + s.Message + insecure
	case StatusFailed:
		return "failed against " + server + day + ": " + s.Message + insecure
	case StatusOffline:
		if day != "" {
			return "not run: transcript as recorded" + day
		}
		return "not run: transcript as written in the lab"
	}
	expected := ""
	if s.Outcome != "" {
		expected = "; " + s.Outcome
	}
	return "captured from " + server + day + expected + "; not verified: nothing written in the lab to compare with" + insecure
}

// Slug is the page file name of a lab.
func Slug(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base)) + ".html"
}

// labTally counts a page's sessions with the engine's model, as check does.
func labTally(p LabPage) engine.Tally {
	var t engine.Tally
	if p.Result.Err != nil {
		t.Errors++
		return t
	}
	for _, s := range p.Sessions {
		t.Add(s.Status)
	}
	return t
}

// WriteSite writes index.html, one page per lab and the assets into out.
// Every file is written to a temporary name and renamed, so an interrupted
// build never leaves a half-written page.
func WriteSite(out string, course Course, pages []LabPage) error {
	tmpl, err := template.ParseFS(site.FS, "templates/*.html")
	if err != nil {
		return fmt.Errorf("render: templates: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(out, "assets"), 0o755); err != nil {
		return err
	}
	summaries := make([]site.LabSummary, len(pages))
	for i, p := range pages {
		t := labTally(p)
		title := p.Result.Path
		summary := ""
		if l := p.Result.Lab; l != nil {
			title = l.Front.Title
			if title == "" {
				title = firstHeading(l.Markdown)
			}
			if title == "" {
				title = l.Title()
			}
			summary = l.Front.Summary
		}
		summaries[i] = site.LabSummary{Title: title, Href: Slug(p.Result.Path), Summary: summary,
			Sessions: t.Sessions(), Passed: t.Passed(), Counts: t.PageLine(), Status: t.LabStatus()}
	}
	var intro template.HTML
	if len(course.Intro) > 0 {
		r, err := renderMarkdown(course.Intro, nil)
		if err != nil {
			return err
		}
		intro = r.Body
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "index.html", site.SiteData{CourseTitle: course.Title, Labs: summaries, Intro: intro, CSSHref: "assets/style.css", JSHref: "assets/wirebook.js", LiveReload: course.LiveReload}); err != nil {
		return fmt.Errorf("render: index: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(out, "index.html"), buf.Bytes()); err != nil {
		return err
	}
	for i, p := range pages {
		data := site.PageData{CourseTitle: course.Title, Title: summaries[i].Title, Status: summaries[i].Status,
			Sessions: summaries[i].Sessions, Passed: summaries[i].Passed, Counts: summaries[i].Counts,
			CSSHref: "assets/style.css", JSHref: "assets/wirebook.js", LiveReload: course.LiveReload}
		if i > 0 {
			data.Prev = &summaries[i-1]
		}
		if i+1 < len(pages) {
			data.Next = &summaries[i+1]
		}
		if p.Result.Err != nil {
			data.Errors = strings.Split(p.Result.Err.Error(), "\n")
		}
		target := filepath.Join(out, summaries[i].Href)
		fingerprint := pageFingerprint(data, p)
		if course.PageCache != "" && fingerprintFresh(course.PageCache, summaries[i].Href, fingerprint, target) {
			continue
		}
		if l := p.Result.Lab; l != nil {
			r, err := renderMarkdown(l.Markdown, p.Sessions)
			if err != nil {
				return fmt.Errorf("render: %s: %w", p.Result.Path, err)
			}
			data.Body, data.TOC = r.Body, r.TOC
		}
		buf.Reset()
		if err := tmpl.ExecuteTemplate(&buf, "lab.html", data); err != nil {
			return fmt.Errorf("render: %s: %w", p.Result.Path, err)
		}
		if err := WriteFileAtomic(target, buf.Bytes()); err != nil {
			return err
		}
		if course.PageCache != "" {
			// A lost fingerprint only costs a render next time.
			_ = os.MkdirAll(course.PageCache, 0o755)
			_ = WriteFileAtomic(filepath.Join(course.PageCache, summaries[i].Href+".key"), []byte(fingerprint))
		}
	}
	return writeAssets(filepath.Join(out, "assets"))
}

// pageFingerprint hashes everything a lab page is made of: the page data,
// the lab's source, its sessions, and the build of wirebook (templates,
// styles and highlighting are compiled in).
func pageFingerprint(data site.PageData, p LabPage) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode(data)
	if p.Result.Lab != nil {
		h.Write(p.Result.Lab.Source)
	}
	lines := make([]int, 0, len(p.Sessions))
	for line := range p.Sessions {
		lines = append(lines, line)
	}
	sort.Ints(lines)
	for _, line := range lines {
		_ = enc.Encode(line)
		_ = enc.Encode(p.Sessions[line])
	}
	h.Write([]byte(engine.Version))
	if exe, err := os.Executable(); err == nil {
		if st, err := os.Stat(exe); err == nil {
			fmt.Fprint(h, st.Size(), st.ModTime().UnixNano())
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func fingerprintFresh(dir, name, fingerprint, target string) bool {
	old, err := os.ReadFile(filepath.Join(dir, name+".key"))
	if err != nil || string(old) != fingerprint {
		return false
	}
	_, err = os.Stat(target)
	return err == nil
}

func writeAssets(dir string) error {
	css, err := fs.ReadFile(site.FS, "static/style.css")
	if err != nil {
		return err
	}
	css = append(css, "\n/* syntax highlighting */\n"...)
	css = append(css, highlight.CSS()...)
	if err := WriteFileAtomic(filepath.Join(dir, "style.css"), css); err != nil {
		return err
	}
	js, err := fs.ReadFile(site.FS, "static/wirebook.js")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, "wirebook.js"), js)
}

// WriteFileAtomic writes data to a temporary file beside path and renames it
// into place; an unchanged file is left alone.
func WriteFileAtomic(path string, data []byte) error {
	return atomicfile.WriteIfChanged(path, data, 0o644)
}
