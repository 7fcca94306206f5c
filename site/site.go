// Package site holds the HTML templates and static assets of a wirebook
// site, embedded in the binary. engine/render fills the data types below
// and executes templates/index.html and templates/lab.html.
//
// The templates use no custom functions, so template.ParseFS(FS,
// "templates/*.html") is all it takes to load them. Everything in the data
// is escaped by html/template except the fields typed template.HTML, which
// the renderer builds from escaped parts.
package site

import (
	"embed"
	"html/template"
)

// FS holds templates/ (index.html, lab.html, partials.html) and static/
// (style.css, wirebook.js).
//
//go:embed templates static
var FS embed.FS

// SiteData is what the course index page shows.
type SiteData struct {
	CourseTitle string
	Intro       template.HTML // the course introduction, rendered Markdown; may be empty
	Labs        []LabSummary  // in course order
	Generated   string        // footer text, e.g. "built with wirebook"; never a timestamp, so builds are reproducible
	CSSHref     string        // stylesheet: static/style.css followed by highlight.CSS()
	JSHref      string        // static/wirebook.js
	LiveReload  bool          // poll /_wirebook/version and reload on change (wirebook serve)
}

// LabSummary is one lab in the index and in prev/next links.
type LabSummary struct {
	Title, Href, Summary string
	Sessions             int
	Passed               int    // verified, or failed the way the lab expects
	Counts               string // e.g. "1 of 2 sessions passed: 1 verified, 1 captured (not verified)"
	Status               string // "verified" | "failed" | "unverified"
}

// PageData is what a lab page shows.
type PageData struct {
	CourseTitle string
	Title       string
	Body        template.HTML // rendered lab, session figures included
	TOC         []TOCEntry
	Prev, Next  *LabSummary // nil at the ends of the course
	Status      string      // the lab's LabSummary.Status
	Sessions    int
	Passed      int
	Counts      string   // as LabSummary.Counts
	Errors      []string // problems with the lab itself (parse errors), shown at the top
	Generated   string   // footer text, as in SiteData
	CSSHref     string
	JSHref      string
	LiveReload  bool
}

// TOCEntry is one heading in a lab's table of contents.
type TOCEntry struct {
	Level int // 2 or 3
	ID    string
	Text  string
}

// Template names, as the renderer executes them.
const (
	IndexTemplate = "index.html"
	LabTemplate   = "lab.html"
)

// Templates parses the embedded templates.
func Templates() (*template.Template, error) {
	return template.ParseFS(FS, "templates/*.html")
}
