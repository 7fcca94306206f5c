package render

import (
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
