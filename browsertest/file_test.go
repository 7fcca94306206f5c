//go:build browser

package browsertest

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestSidebarAndSearchFromFile opens the built pages straight from disk, as
// a student who double-clicks index.html does: no server, file:// only.
// The sidebar and the search load their data by <script>, which works
// there, where fetch() would be refused.
func TestSidebarAndSearchFromFile(t *testing.T) {
	dir := buildSite(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := startBrowser(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, domain := range []string{"Page.enable", "Runtime.enable"} {
		if err := b.call(domain, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.setViewport(viewports[0]); err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"index.html", "04-imap.html"} {
		url := "file://" + filepath.ToSlash(filepath.Join(dir, page))
		b.takeEvents() // the last page's load event must not count for this one
		if err := b.call("Page.navigate", map[string]any{"url": url}, nil); err != nil {
			t.Fatal(err)
		}
		if err := b.waitEvent("Page.loadEventFired", 30*time.Second); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		var n navFacts
		if err := b.evaluate(navJS, &n); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if !n.Nav || len(n.Links) == 0 {
			t.Errorf("%s: the sidebar lists no labs from file:// (%+v)", page, n)
		}
		if len(n.Hits) != 1 || n.Hits[0] != "04-imap.html" {
			t.Errorf("%s: searching %q from file:// finds %v, want the IMAP lab", page, searchWord, n.Hits)
		}
	}
}
