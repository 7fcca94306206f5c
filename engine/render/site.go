package render

import (
	"fmt"
	"html/template"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/engine/diagram"
	"github.com/wirebook/wirebook/engine/highlight"
	"github.com/wirebook/wirebook/internal/printable"
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
	// Exec is the kind of an executable block ("pycon", "console",
	// "python"), "" for a session; Names is set on a page's first one,
	// which says what the names its code uses stand for.
	Exec  string
	Names bool
	Open  bool // the block's open attribute: folded bodies shown unfolded
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
	named := false
	for _, s := range r.Sessions {
		// Everything but the events (which the highlighter neutralises
		// itself) may quote the server: made safe with the same neutraliser.
		safe := printable.String
		v := &SessionView{Proto: s.Block.Proto, Events: s.ShownEvents(), Status: s.Status, Server: safe(s.Server),
			Software: safe(s.Software), Embedded: s.Embedded, Insecure: s.Insecure, When: s.When, Message: safe(s.Reason), Outcome: safe(s.Outcome),
			Exec: s.Block.Exec, Open: s.Block.Open()}
		if v.Exec != "" && !named {
			v.Names, named = true, true
		}
		if s.Status == engine.StatusMismatch && s.Comparison != nil {
			v.Detail = safeLines(strings.Join(s.Comparison.Differences(), "\n") + "\n\n" + s.Comparison.UnifiedDiff(r.Expected(s)))
		}
		if s.Note != "" && v.Detail != "" {
			v.Detail = safe(s.Note) + "\n\n" + v.Detail
		}
		out[s.Block.Line] = v
	}
	return out
}

// safeLines neutralises each line of s, keeping the line ends.
func safeLines(s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		body, nl := strings.CutSuffix(l, "\n")
		lines[i] = printable.String(body)
		if nl {
			lines[i] += "\n"
		}
	}
	return strings.Join(lines, "")
}

func sessionHTML(s *SessionView) template.HTML {
	var b strings.Builder
	// The transcript, its diagram and their markup: about eight times
	// the text, grown once.
	size := 2048
	for _, e := range s.Events {
		size += 8*len(e.Text) + 400
	}
	b.Grow(size)
	fmt.Fprintf(&b, `<figure class="wb-session wb-session-%s" data-proto="%s">`, s.Status, template.HTMLEscapeString(s.Proto))
	b.WriteString(statusLine(s))
	copyLabel := "Copy client lines"
	if s.Exec != "" {
		b.WriteString(string(highlight.Repl(s.Events, s.Exec)))
		copyLabel = "Copy statements"
		if s.Exec == "console" {
			copyLabel = "Copy commands"
		}
	} else {
		b.WriteString(transcriptLegend)
		b.WriteString(string(highlight.Transcript(s.Events, s.Proto, highlight.TranscriptOptions{Open: s.Open})))
		if len(s.Events) > 0 {
			b.WriteString(string(diagram.Figure(s.Events, s.Proto)))
		}
	}
	if s.Detail != "" {
		fmt.Fprintf(&b, `<details class="wb-mismatch" open><summary>What differs from the lab</summary><pre>%s</pre></details>`, template.HTMLEscapeString(s.Detail))
	}
	if s.Names {
		b.WriteString(namesHTML())
	}
	// A button only where there is something to copy: the output block of
	// a python run script has no client line (its code is shown apart).
	if slices.ContainsFunc(s.Events, func(e protocols.Event) bool { return e.Kind == protocols.Client }) {
		fmt.Fprintf(&b, `<button class="wb-copy" type="button" hidden>%s</button>`, copyLabel)
	}
	b.WriteString(`</figure>`)
	return template.HTML(b.String())
}

// transcriptLegend tells a screen reader (and a print of a page cut from
// its context) what the letters in a transcript's gutter stand for.
const transcriptLegend = `<p class="wb-sr">Transcript: C: lines were sent by the client, C+ lines sent right behind the line before without waiting, S: lines by the server, N: notes by wirebook.</p>`

// namesHTML says what the names of a lab's code stand for, and how a
// student gets them for their own lab servers.
func namesHTML() string {
	var b strings.Builder
	b.WriteString(`<details class="wb-names"><summary>The names this code uses</summary><p>wirebook defines these before the first statement, for the lab servers the page was built against. To run the code yourself, start <code>wirebook servers</code> and define them from what it prints (see the lab's instructions); then type the code unchanged.</p><dl>`)
	for _, n := range engine.CodeNames() {
		fmt.Fprintf(&b, `<dt><code>%s</code></dt><dd>%s</dd>`, template.HTMLEscapeString(n.Name), template.HTMLEscapeString(n.Meaning))
	}
	b.WriteString(`</dl></details>`)
	return b.String()
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
		if s.Exec != "" {
			return "not run: output as written in the lab"
		}
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

// Entry is what the other pages need of a lab before it is rendered: its
// title and page, for the index and the previous/next links.
func Entry(r *engine.LabResult) site.LabSummary {
	title := r.Path
	summary := ""
	if l := r.Lab; l != nil {
		title = l.Front.Title
		if title == "" {
			title = firstHeading(l.Markdown)
		}
		if title == "" {
			title = l.Title()
		}
		summary = l.Front.Summary
	}
	return site.LabSummary{Title: title, Href: Slug(r.Path), Summary: summary}
}

// summarise is a lab's entry with its status and counts.
func summarise(p LabPage) site.LabSummary {
	s := Entry(p.Result)
	t := labTally(p)
	s.Sessions, s.Passed, s.Counts, s.Status = t.Sessions(), t.Passed(), t.PageLine(), t.LabStatus()
	return s
}
