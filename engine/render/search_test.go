package render

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/site"
)

func TestPageWordsTakesTextNotMarkup(t *testing.T) {
	got := pageWords(`<p class="x">Send <code>A0005 FETCH</code> &amp; wait</p><svg><title>drawn A0005</title></svg> <b>Answers</b>`)
	for _, w := range []string{" a0005", " fetch", " send", " wait", " answers"} {
		if !strings.Contains(got+" ", w+" ") {
			t.Errorf("words %q lack %q", got, w)
		}
	}
	for _, bad := range []string{"class", "code", "svg", "amp", "title", "drawn"} {
		if strings.Contains(got+" ", " "+bad+" ") {
			t.Errorf("words %q include markup %q", got, bad)
		}
	}
	if strings.Count(got, " a0005") != 1 {
		t.Errorf("a word is listed twice: %q", got)
	}
}

func TestCourseScriptsCannotEndTheScript(t *testing.T) {
	w := &SiteWriter{words: map[string]string{"a.html": " </script><b>"}}
	course, search := w.courseScripts([]site.LabSummary{{Title: "</script>x", Href: "a.html", Status: "verified"}})
	for _, b := range [][]byte{course, search} {
		if strings.Contains(string(b), "</script") || strings.Contains(string(b), "<b>") {
			t.Errorf("script data is not escaped: %s", b)
		}
	}
	if !strings.HasPrefix(string(course), "window.WIREBOOK_COURSE = {\"labs\":[{\"t\":") || !strings.Contains(string(search), `"h":"a.html"`) {
		t.Errorf("unexpected scripts:\n%s\n%s", course, search)
	}
}

// TestSearchScriptIsJSON: search.js is written by hand for speed; it must
// be what json.Marshal writes, for plain words and for everything else.
func TestSearchScriptIsJSON(t *testing.T) {
	words := map[string]string{
		"a.html": " alpha beta@example.com x.y_z-1",
		"b.html": " </script> \"q\" back\\slash",
		"c.html": " caf\u00e9 na\u00efve \u4e2d\u6587",
		"d.html": " line\u2028sep",
		"e.html": " bad\xffutf8",
		"f.html": "",
	}
	var summaries []site.LabSummary
	var pages []page
	for _, href := range []string{"a.html", "b.html", "c.html", "d.html", "e.html", "f.html", "missing.html"} {
		s := site.LabSummary{Title: "T <" + href + "> & \"x\"", Href: href, Status: "verified"}
		summaries = append(summaries, s)
		if w, ok := words[href]; ok {
			pages = append(pages, page{H: href, T: s.Title, W: w})
		}
	}
	w := &SiteWriter{words: words}
	_, search := w.courseScripts(summaries)
	want, _ := json.Marshal(pages)
	if got := string(search); got != "window.WIREBOOK_SEARCH = "+string(want)+";\n" {
		t.Errorf("search.js =\n%s\nwant the JSON\n%s", got, want)
	}
	_, empty := (&SiteWriter{words: map[string]string{}}).courseScripts(nil)
	if string(empty) != "window.WIREBOOK_SEARCH = [];\n" {
		t.Errorf("empty search.js = %q", empty)
	}
}

// TestWordsFileRoundTrip: the words a build keeps are the words the next
// one reads.
func TestWordsFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	w := &SiteWriter{course: Course{PageCache: dir}, words: map[string]string{"a.html": " a b", "sub/b.html": " caf\u00e9", "c.html": ""}}
	w.saveWords()
	r := &SiteWriter{course: Course{PageCache: dir}}
	if got := r.loadOldWords(); !reflect.DeepEqual(got, w.words) {
		t.Errorf("read back %q, saved %q", got, w.words)
	}
}
