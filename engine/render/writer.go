package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/engine/highlight"
	"github.com/wirebook/wirebook/internal/atomicfile"
	"github.com/wirebook/wirebook/site"
)

// SiteWriter writes a site one page at a time, from any number of
// goroutines, so that a build never holds every lab at once: the pages
// need of the others only their entries (titles and links), known before.
// Every file is written to a temporary name and renamed, so an interrupted
// build never leaves a half-written page; build output is not synced (the
// next build writes it again).
type SiteWriter struct {
	out     string
	course  Course
	tmpl    *template.Template
	entries []site.LabSummary
	build   string // what identifies this build of wirebook, for fingerprints

	mu      sync.Mutex
	oldKeys map[string]string // page fingerprints of the last build
	keys    map[string]string // and of this one
	words   map[string]string // each page's words, for assets/search.js
	// oldWords are the last build's words, read when a page is kept.
	oldWords func() map[string]string
	rendered int // pages rendered by this build
	// fresh: out was empty or missing, so pages are new files.
	fresh bool
}

// fingerprintFile, in Course.PageCache, maps each page to the fingerprint
// of its inputs: one file per build, not one per page.
const fingerprintFile = "fingerprints.json"

// NewSiteWriter prepares out for a site whose labs, in course order, have
// the given entries (see Entry).
func NewSiteWriter(out string, course Course, entries []site.LabSummary) (*SiteWriter, error) {
	tmpl, err := templates()
	if err != nil {
		return nil, err
	}
	fresh := emptyDir(out)
	if err := os.MkdirAll(filepath.Join(out, "assets"), 0o755); err != nil {
		return nil, err
	}
	w := &SiteWriter{out: out, fresh: fresh, course: course, tmpl: tmpl, entries: entries, build: buildID(), keys: map[string]string{}, words: map[string]string{}}
	w.oldWords = sync.OnceValue(w.loadOldWords)
	if course.PageCache != "" {
		// A missing or unreadable file only costs a render of every page.
		if data, err := os.ReadFile(filepath.Join(course.PageCache, fingerprintFile)); err == nil {
			_ = json.Unmarshal(data, &w.oldKeys)
		}
	}
	return w, nil
}

// templates are parsed once: html/template is safe for concurrent use
// once parsed, and every build of the process uses the same.
var templates = sync.OnceValues(func() (*template.Template, error) {
	tmpl, err := template.ParseFS(site.FS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("render: templates: %w", err)
	}
	return tmpl, nil
})

// buildID identifies the running wirebook: templates, styles and
// highlighting are compiled in, so a new binary renders every page again.
var buildID = sync.OnceValue(func() string {
	id := engine.Version
	if exe, err := os.Executable(); err == nil {
		if st, err := os.Stat(exe); err == nil {
			id += fmt.Sprint(st.Size(), st.ModTime().UnixNano())
		}
	}
	return id
})

// WritePage renders and writes the page of lab i (the index into the
// entries) and returns its summary for the index. A page whose inputs did
// not change since the last build is left as it is.
func (w *SiteWriter) WritePage(i int, p LabPage) (site.LabSummary, error) {
	sum, page, err := w.RenderPage(i, p)
	if err == nil {
		err = page.Write()
	}
	return sum, err
}

// RenderedPage is a page rendered and not yet written: RenderPage uses
// the CPU, Write the disk, and a build holds a render slot only for the
// first (creating files is slow on a busy disk, and a render waiting
// behind it would leave a CPU idle).
type RenderedPage struct {
	target string
	buf    *bytes.Buffer
	fresh  bool // into an output directory that was empty
}

// Write writes the page; a nil page (kept from the last build) writes
// nothing. A page is written once.
func (r *RenderedPage) Write() error {
	if r == nil || r.buf == nil {
		return nil
	}
	defer func() { putBuffer(r.buf); r.buf = nil }()
	if r.fresh {
		return atomicfile.ReplaceNew(r.target, r.buf.Bytes(), 0o644)
	}
	return WriteFileAtomic(r.target, r.buf.Bytes())
}

// RenderPage is WritePage without the writing: the page is nil when the
// last build's is kept.
func (w *SiteWriter) RenderPage(i int, p LabPage) (site.LabSummary, *RenderedPage, error) {
	sum := summarise(p)
	c := w.course
	data := site.PageData{CourseTitle: c.Title, Title: sum.Title, Status: sum.Status,
		Sessions: sum.Sessions, Passed: sum.Passed, Counts: sum.Counts,
		CSSHref: "assets/style.css", JSHref: "assets/wirebook.js", LiveReload: c.LiveReload}
	if i > 0 {
		data.Prev = &w.entries[i-1]
	}
	if i+1 < len(w.entries) {
		data.Next = &w.entries[i+1]
	}
	if p.Result.Err != nil {
		data.Errors = strings.Split(p.Result.Err.Error(), "\n")
	}
	target := filepath.Join(w.out, sum.Href)
	var fingerprint string
	if c.PageCache != "" {
		fingerprint = w.fingerprint(data, p)
		w.mu.Lock()
		fresh := w.oldKeys[sum.Href] == fingerprint
		w.keys[sum.Href] = fingerprint
		w.mu.Unlock()
		if fresh {
			if _, err := os.Stat(target); err == nil {
				w.KeepWords(sum.Href)
				return sum, nil, nil
			}
		}
	}
	if l := p.Result.Lab; l != nil {
		r, err := renderMarkdown(l.Markdown, l.Doc, p.Sessions)
		if err != nil {
			return sum, nil, fmt.Errorf("render: %s: %w", p.Result.Path, err)
		}
		data.Body, data.TOC = r.Body, r.TOC
	}
	w.setWords(sum.Href, pageWords(template.HTMLEscapeString(data.Title)+" "+string(data.Body)))
	buf := getBuffer()
	buf.Grow(len(data.Body) + 8<<10)
	if err := w.tmpl.ExecuteTemplate(buf, "lab.html", data); err != nil {
		putBuffer(buf)
		return sum, nil, fmt.Errorf("render: %s: %w", p.Result.Path, err)
	}
	return sum, &RenderedPage{target: target, buf: buf, fresh: w.fresh}, nil
}

// Finish writes the index with the labs' summaries (in course order), the
// assets and the fingerprints. Nothing is synced: a directory fsync at the
// end of a build (measured) waits for every page's data to reach the disk,
// seconds on a busy machine, for output the next build makes again.
func (w *SiteWriter) Finish(summaries []site.LabSummary) error {
	c := w.course
	if c.PageCache != "" {
		key := w.siteKey(summaries)
		w.mu.Lock()
		same := w.oldKeys[siteKeyName] == key && w.wordsAsLastBuild()
		w.keys[siteKeyName] = key
		w.mu.Unlock()
		if same && exist(filepath.Join(w.out, "index.html"), filepath.Join(w.out, "assets", "course.js"), filepath.Join(w.out, "assets", "search.js")) {
			// Nothing the index and the scripts are made of changed:
			// they are as the last build wrote them (the index alone
			// was a fifth of a no-change rebuild of 1,000 labs).
			if err := writeAssets(filepath.Join(w.out, "assets")); err != nil {
				return err
			}
			return w.saveCache()
		}
	}
	var intro template.HTML
	if len(c.Intro) > 0 {
		r, err := renderMarkdown(c.Intro, nil, nil)
		if err != nil {
			return err
		}
		intro = r.Body
	}
	var buf bytes.Buffer
	if err := w.tmpl.ExecuteTemplate(&buf, "index.html", site.SiteData{CourseTitle: c.Title, Labs: summaries, Intro: intro, CSSHref: "assets/style.css", JSHref: "assets/wirebook.js", LiveReload: c.LiveReload}); err != nil {
		return fmt.Errorf("render: index: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(w.out, "index.html"), buf.Bytes()); err != nil {
		return err
	}
	if err := writeAssets(filepath.Join(w.out, "assets")); err != nil {
		return err
	}
	course, search := w.courseScripts(summaries)
	if err := WriteFileAtomic(filepath.Join(w.out, "assets", "course.js"), course); err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(w.out, "assets", "search.js"), search); err != nil {
		return err
	}
	return w.saveCache()
}

// saveCache keeps the fingerprints and the words for the next build.
func (w *SiteWriter) saveCache() error {
	c := w.course
	if c.PageCache == "" {
		return nil
	}
	// A lost fingerprint file only costs a render next time.
	w.mu.Lock()
	data, err := json.Marshal(w.keys)
	w.mu.Unlock()
	if err == nil && os.MkdirAll(c.PageCache, 0o755) == nil {
		_ = atomicfile.ReplaceIfChanged(filepath.Join(c.PageCache, fingerprintFile), data, 0o644)
	}
	w.saveWords()
	// What earlier builds kept the words in: a file per page, then JSON.
	_ = os.RemoveAll(filepath.Join(c.PageCache, "words"))
	_ = os.Remove(filepath.Join(c.PageCache, "words.json"))
	return nil
}

// siteKeyName is the fingerprint of the index and the course scripts
// among the pages' (no page's href starts with a space).
const siteKeyName = " site"

// siteKey hashes what index.html, course.js and search.js are made of,
// besides the pages' words: the course, every lab's summary in order, this
// wirebook.
func (w *SiteWriter) siteKey(summaries []site.LabSummary) string {
	k := keyHasher{h: sha256.New(), buf: make([]byte, 0, 32<<10)}
	k.str(w.course.Title)
	k.bytes(w.course.Intro)
	k.bool(w.course.LiveReload)
	k.int(len(summaries))
	for i := range summaries {
		k.summary(&summaries[i])
	}
	k.str(w.build)
	return hex.EncodeToString(k.sum())
}

// emptyDir reports whether dir is missing or has nothing in it.
func emptyDir(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) == 0
}

func exist(paths ...string) bool {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

// WriteSite writes index.html, one page per lab and the assets into out,
// rendering pages on every CPU.
func WriteSite(out string, course Course, pages []LabPage) error {
	entries := make([]site.LabSummary, len(pages))
	for i, p := range pages {
		entries[i] = Entry(p.Result)
	}
	w, err := NewSiteWriter(out, course, entries)
	if err != nil {
		return err
	}
	summaries := make([]site.LabSummary, len(pages))
	errs := make([]error, len(pages))
	Parallel(len(pages), runtime.GOMAXPROCS(0), func(i int) {
		summaries[i], errs[i] = w.WritePage(i, pages[i])
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return w.Finish(summaries)
}

// Parallel calls f(0) ... f(n-1) on at most workers goroutines and waits.
func Parallel(n, workers int, f func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(max(workers, 1), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
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
// into place, without syncing (build output is made again by the next
// build); an unchanged file is left alone.
func WriteFileAtomic(path string, data []byte) error {
	return atomicfile.ReplaceIfChanged(path, data, 0o644)
}
