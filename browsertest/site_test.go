//go:build browser

package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildSite runs the real CLI over the repository's labs, as `make site`
// does, into a temporary directory.
func buildSite(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command("go", "run", "./cmd/wirebook", "build", "--out", out, "labs")
	cmd.Dir = ".." // the repository root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wirebook build: %v\n%s", err, b)
	}
	return out
}

// serve serves dir on 127.0.0.1 and remembers which paths were missing.
func serve(t *testing.T, dir string) (base string, missing func() []string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var mu sync.Mutex
	var notFound []string
	files := http.FileServer(http.Dir(dir))
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(r.URL.Path))); err != nil {
			mu.Lock()
			notFound = append(notFound, r.URL.Path)
			mu.Unlock()
		}
		files.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String() + "/", func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), notFound...)
	}
}

// pageFacts is what inspectJS reports about a loaded page.
type pageFacts struct {
	Title          string   `json:"title"`
	ScrollWidth    int      `json:"scrollWidth"`
	InnerWidth     int      `json:"innerWidth"`
	Sessions       int      `json:"sessions"`
	Transcripts    int      `json:"transcripts"`
	Statements     int      `json:"statements"`
	OutputLines    int      `json:"outputLines"`
	Prompt         string   `json:"prompt"`
	PromptSelect   string   `json:"promptSelect"`
	PromptText     int      `json:"promptText"`
	ClientLines    int      `json:"clientLines"`
	ServerLines    int      `json:"serverLines"`
	GutterC        string   `json:"gutterC"`
	GutterS        string   `json:"gutterS"`
	GutterSelect   string   `json:"gutterSelect"`
	GutterText     int      `json:"gutterText"`
	TOCLinks       int      `json:"tocLinks"`
	BrokenTOC      []string `json:"brokenTOC"`
	Anchors        int      `json:"anchors"`
	PagerLinks     int      `json:"pagerLinks"`
	LabLinks       []string `json:"labLinks"`
	DarkRule       bool     `json:"darkRule"`
	BodyBackground string   `json:"bodyBackground"`
	BodyColor      string   `json:"bodyColor"`
	CopyButtons    int      `json:"copyButtons"`
	CopyShown      int      `json:"copyShown"`
	WideBlocks     []string `json:"wideBlocks"`
	Checks         pageChecks
	Nav            navFacts
}

// inspectJS gathers pageFacts in the page.
const inspectJS = `(() => {
  const q = s => Array.from(document.querySelectorAll(s));
  const de = document.documentElement;
  const gc = document.querySelector('.wb-transcript .wb-c > .wb-gutter');
  const pr = document.querySelector('.wb-repl .wb-c > .wb-prompt');
  const gs = document.querySelector('.wb-transcript .wb-s > .wb-gutter');
  let darkRule = false;
  for (const sheet of document.styleSheets) {
    for (const r of sheet.cssRules) {
      if (r.media && /prefers-color-scheme:\s*dark/.test(r.media.mediaText)) darkRule = true;
    }
  }
  return {
    title: document.title,
    scrollWidth: de.scrollWidth,
    innerWidth: window.innerWidth,
    sessions: q('figure.wb-session').length,
    transcripts: q('figure.wb-session pre.wb-transcript').length,
    clientLines: q('.wb-transcript:not(.wb-repl) .wb-line.wb-c').length,
    serverLines: q('.wb-transcript:not(.wb-repl) .wb-line.wb-s').length,
    statements: q('.wb-repl .wb-line.wb-c').length,
    outputLines: q('.wb-repl .wb-line.wb-o').length,
    prompt: pr ? getComputedStyle(pr, '::before').content : '',
    promptSelect: pr ? getComputedStyle(pr).userSelect : '',
    promptText: q('.wb-prompt').filter(p => p.textContent !== '').length,
    gutterC: gc ? gc.textContent : '',
    gutterS: gs ? gs.textContent : '',
    gutterSelect: gc ? getComputedStyle(gc).userSelect : '',
    gutterText: q('.wb-gutter').filter(g => g.textContent === '').length,
    tocLinks: q('nav.wb-toc a[href^="#"]').length,
    brokenTOC: q('nav.wb-toc a[href^="#"], a.wb-anchor').filter(a => !document.getElementById(decodeURIComponent(a.hash.slice(1)))).map(a => a.hash),
    anchors: q('h2[id] > a.wb-anchor, h3[id] > a.wb-anchor').length,
    pagerLinks: q('nav.wb-pager a[href]').length,
    labLinks: q('.wb-lab-list a[href]').map(a => a.getAttribute('href')),
    darkRule: darkRule,
    bodyBackground: getComputedStyle(document.body).backgroundColor,
    bodyColor: getComputedStyle(document.body).color,
    copyButtons: q('button.wb-copy').length,
    copyShown: q('button.wb-copy').filter(b => !b.hidden && getComputedStyle(b).display !== 'none').length,
    wideBlocks: q('pre, table, figure').filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).map(e => e.className || e.tagName),
  };
})()`

// viewport is one way of looking at the pages.
type viewport struct {
	name    string
	width   int
	height  int
	mobile  bool
	scheme  string // prefers-color-scheme
	scripts bool
}

var viewports = []viewport{
	{"desktop-light", 1280, 900, false, "light", true},
	{"desktop-dark", 1280, 900, false, "dark", true},
	{"phone-light", 390, 844, true, "light", true},
	{"phone-dark", 390, 844, true, "dark", true},
	{"phone-noscript", 390, 844, true, "light", false},
}

func TestSiteInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("%s: %v (make browser installs it)", chromiumPath, err)
	}
	dir := buildSite(t)
	pages := []string{"index.html"}
	labPages, err := filepath.Glob(filepath.Join(dir, "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(labPages)
	for _, p := range labPages {
		if name := filepath.Base(p); name != "index.html" {
			pages = append(pages, name)
		}
	}
	if len(pages) < 2 {
		t.Fatalf("the build wrote no lab pages: %v", pages)
	}
	base, missing := serve(t, dir)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b, err := startBrowser(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, domain := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		if err := b.call(domain, nil, nil); err != nil {
			t.Fatal(err)
		}
	}

	// The labs in course order, as the index lists them: what the
	// sidebar must list.
	indexHTML, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	var courseOrder []string
	for _, m := range regexp.MustCompile(`<h3 class="wb-lab-title"><a href="([^"]+)"`).FindAllStringSubmatch(string(indexHTML), -1) {
		courseOrder = append(courseOrder, m[1])
	}
	totalSessions := 0
	var index pageFacts
	for _, vp := range viewports {
		if err := b.setViewport(vp); err != nil {
			t.Fatal(err)
		}
		for _, page := range pages {
			t.Run(vp.name+"/"+page, func(t *testing.T) {
				f := b.visit(t, base, page)
				checkPage(t, vp, page, f)
				checkPageChecks(t, vp, page, f.Checks)
				checkNav(t, vp, page, courseOrder, f.Nav)
				if vp.name == viewports[0].name {
					if page == "index.html" {
						index = f
					} else {
						totalSessions += f.Sessions
					}
				}
			})
		}
	}

	// The checks above must not pass for want of content.
	if totalSessions == 0 {
		t.Errorf("no session figures on any lab page")
	}
	// The index lists labs in course order; compare as sets.
	linked := append([]string(nil), index.LabLinks...)
	sort.Strings(linked)
	built := append([]string(nil), pages[1:]...)
	sort.Strings(built)
	if got, want := strings.Join(linked, " "), strings.Join(built, " "); got != want {
		t.Errorf("index links to %q, want every lab page %q", got, want)
	}
	if m := missing(); len(m) > 0 {
		t.Errorf("pages asked for missing files: %v", m)
	}
}

func (b *browser) setViewport(vp viewport) error {
	if err := b.call("Emulation.setDeviceMetricsOverride", map[string]any{
		"width": vp.width, "height": vp.height, "deviceScaleFactor": 1, "mobile": vp.mobile,
	}, nil); err != nil {
		return err
	}
	if err := b.call("Emulation.setEmulatedMedia", map[string]any{
		"features": []map[string]string{{"name": "prefers-color-scheme", "value": vp.scheme}},
	}, nil); err != nil {
		return err
	}
	return b.call("Emulation.setScriptExecutionDisabled", map[string]any{"value": !vp.scripts}, nil)
}

// visit loads a page, waits for its load event, inspects it, and fails
// the test for console errors, exceptions, failed loads and any request
// that is not to the test server.
func (b *browser) visit(t *testing.T, base, page string) pageFacts {
	t.Helper()
	b.takeEvents()
	if err := b.call("Page.navigate", map[string]any{"url": base + page}, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.waitEvent("Page.loadEventFired", 30*time.Second); err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	var f pageFacts
	if err := b.evaluate(inspectJS, &f); err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	if err := b.evaluate(checksJS, &f.Checks); err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	if err := b.evaluate(navJS, &f.Nav); err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	for _, e := range b.takeEvents() {
		if problem := eventProblem(e, base); problem != "" {
			t.Errorf("%s: %s", page, problem)
		}
	}
	return f
}

// eventProblem describes a DevTools event that means the page is broken
// or leaks requests, or returns "".
func eventProblem(e cdpMessage, base string) string {
	switch e.Method {
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		_ = json.Unmarshal(e.Params, &p)
		if p.Type == "error" || p.Type == "assert" {
			var parts []string
			for _, a := range p.Args {
				if a.Value != nil {
					parts = append(parts, fmt.Sprint(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			return "console." + p.Type + ": " + strings.Join(parts, " ")
		}
	case "Runtime.exceptionThrown":
		var p struct {
			ExceptionDetails struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		_ = json.Unmarshal(e.Params, &p)
		return "uncaught: " + p.ExceptionDetails.Text + " " + p.ExceptionDetails.Exception.Description
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Level, Text, URL string
			} `json:"entry"`
		}
		_ = json.Unmarshal(e.Params, &p)
		if p.Entry.Level == "error" {
			return "console error: " + p.Entry.Text + " " + p.Entry.URL
		}
	case "Network.requestWillBeSent":
		var p struct {
			Request struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		_ = json.Unmarshal(e.Params, &p)
		u := p.Request.URL
		if !strings.HasPrefix(u, base) && !strings.HasPrefix(u, "data:") {
			return "request outside the test server: " + u
		}
	}
	return ""
}

func checkPage(t *testing.T, vp viewport, page string, f pageFacts) {
	t.Helper()
	if f.InnerWidth != vp.width {
		t.Errorf("innerWidth = %d, want %d (is the viewport meta tag there?)", f.InnerWidth, vp.width)
	}
	if f.ScrollWidth > f.InnerWidth {
		t.Errorf("page scrolls sideways: scrollWidth %d > innerWidth %d; too wide: %v", f.ScrollWidth, f.InnerWidth, f.WideBlocks)
	}
	if f.Title == "" {
		t.Errorf("empty <title>")
	}
	if !f.DarkRule {
		t.Errorf("no @media (prefers-color-scheme: dark) rules in the page's stylesheets")
	}
	bg, fg := luminance(f.BodyBackground), luminance(f.BodyColor)
	if vp.scheme == "dark" && !(bg < 0.05 && fg > 0.6) {
		t.Errorf("dark scheme: body %s on %s, want light text on a dark background", f.BodyColor, f.BodyBackground)
	}
	if vp.scheme == "light" && !(bg > 0.9 && fg < 0.1) {
		t.Errorf("light scheme: body %s on %s, want dark text on a light background", f.BodyColor, f.BodyBackground)
	}
	if len(f.BrokenTOC) > 0 {
		t.Errorf("links to missing anchors: %v", f.BrokenTOC)
	}
	if page == "index.html" {
		if len(f.LabLinks) == 0 {
			t.Errorf("index lists no labs")
		}
		return
	}
	if f.TOCLinks == 0 {
		t.Errorf("no table of contents (nav.wb-toc links)")
	}
	if f.Anchors == 0 {
		t.Errorf("no h2/h3 heading has an a.wb-anchor")
	}
	if f.PagerLinks == 0 {
		t.Errorf("no prev/next links")
	}
	if f.Sessions == 0 {
		return
	}
	if f.Transcripts != f.Sessions {
		t.Errorf("%d session figures but %d transcripts in them", f.Sessions, f.Transcripts)
	}
	if f.Statements > 0 {
		// Executable blocks: the prompt is drawn, never copied.
		if f.OutputLines == 0 {
			t.Errorf("%d statements and no output line", f.Statements)
		}
		if f.Prompt != `">>> "` && f.Prompt != `"$ "` {
			t.Errorf("the prompt draws %s, want \">>> \" or \"$ \"", f.Prompt)
		}
		if f.PromptText != 0 || f.PromptSelect != "none" {
			t.Errorf("the prompt would be copied: %d prompts hold text, user-select %q", f.PromptText, f.PromptSelect)
		}
	}
	// Session transcripts (a page of executable blocks only has none).
	if f.ClientLines+f.ServerLines > 0 || f.Statements == 0 {
		if f.ClientLines == 0 || f.ServerLines == 0 {
			t.Errorf("transcripts have %d C: and %d S: lines, want both", f.ClientLines, f.ServerLines)
		}
		// The role is text: read out and kept in a copy.
		if f.GutterC != "C: " || f.GutterS != "S: " {
			t.Errorf("gutters hold %q and %q, want \"C: \" and \"S: \"", f.GutterC, f.GutterS)
		}
		if f.GutterText != 0 || f.GutterSelect == "none" {
			t.Errorf("the role would be lost in a copy: %d gutters without text, user-select %q", f.GutterText, f.GutterSelect)
		}
	}
	if vp.scripts && f.CopyShown != f.CopyButtons {
		t.Errorf("with scripts, %d of %d copy buttons shown", f.CopyShown, f.CopyButtons)
	}
	if !vp.scripts && f.CopyShown != 0 {
		t.Errorf("without scripts, %d copy buttons shown, want none", f.CopyShown)
	}
}

var rgbPattern = regexp.MustCompile(`rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)`)

// luminance is the WCAG relative luminance of a computed CSS colour, or
// -1 when it cannot be read.
func luminance(css string) float64 {
	m := rgbPattern.FindStringSubmatch(css)
	if m == nil {
		return -1
	}
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseFloat(m[i+1], 64)
		v /= 255
		if v <= 0.04045 {
			v /= 12.92
		} else {
			v = math.Pow((v+0.055)/1.055, 2.4)
		}
		l += w * v
	}
	return l
}
