package render

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wirebook/wirebook/internal/atomicfile"
	"github.com/wirebook/wirebook/site"
)

// The course sidebar and the search read two scripts written once per
// build (site/static/wirebook.js loads them): assets/course.js, the labs in
// order with their statuses, and assets/search.js, each page's words.
// Scripts, not JSON, so they load from file:// where fetch() is refused.
// Pages do not inline the list, which would make a build quadratic in
// the number of labs.

// wordsFile, in Course.PageCache, keeps every page's words for the next
// build, for the pages it does not render again: one file per build, not
// one per page (creating a file per page was a tenth of a cold build). A
// line per page, "HREF<tab>WORDS": words hold neither tabs nor line ends,
// and reading lines is a few milliseconds where JSON took a third of a
// no-change rebuild.
const wordsFile = "words.txt"

// pageWords is the set of words of a rendered page (prose and
// transcripts), lowercased, each after a space: " a b c". The split is
// wirebook.js's: letters, digits and @._- make words. One pass over the
// page: markup and entities separate words, a diagram's <svg> is skipped
// (its labels repeat the transcript's lines).
func pageWords(body string) string {
	seen := make(map[string]struct{}, 256)
	word := make([]byte, 0, 64)
	end := func() {
		if len(word) > 0 && len(word) <= 64 {
			if _, ok := seen[string(word)]; !ok {
				seen[string(word)] = struct{}{}
			}
		}
		word = word[:0]
	}
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '<':
			end()
			if strings.HasPrefix(body[i:], "<svg") {
				if j := strings.Index(body[i:], "</svg>"); j >= 0 {
					i += j + len("</svg>")
					continue
				}
			}
			j := strings.IndexByte(body[i:], '>')
			if j < 0 {
				i = len(body)
				continue
			}
			i += j + 1
		case c == '&':
			end()
			if j := strings.IndexByte(body[i:], ';'); j >= 0 && j < 10 {
				i += j + 1
				continue
			}
			i++
		case c < utf8.RuneSelf:
			if 'A' <= c && c <= 'Z' {
				word = append(word, c+'a'-'A')
			} else if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '@' || c == '.' || c == '_' || c == '-' {
				word = append(word, c)
			} else {
				end()
			}
			i++
		default:
			r, n := utf8.DecodeRuneInString(body[i:])
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				word = utf8.AppendRune(word, unicode.ToLower(r))
			} else {
				end()
			}
			i += n
		}
	}
	end()
	words := make([]string, 0, len(seen))
	for w := range seen {
		words = append(words, w)
	}
	sort.Strings(words)
	return " " + strings.Join(words, " ")
}

// setWords records a page's words for search.js and the next build.
func (w *SiteWriter) setWords(href, words string) {
	w.mu.Lock()
	w.words[href] = words
	w.rendered++
	w.mu.Unlock()
}

// KeepWords takes a page's words from the last build, for a page that is
// not rendered again.
func (w *SiteWriter) KeepWords(href string) {
	if w.course.PageCache == "" {
		return
	}
	old := w.oldWords()
	w.mu.Lock()
	if words, ok := old[href]; ok {
		w.words[href] = words
	}
	w.mu.Unlock()
}

// loadOldWords reads the last build's words; a missing or unreadable
// file only leaves the kept pages out of the search until they change.
func (w *SiteWriter) loadOldWords() map[string]string {
	data, err := os.ReadFile(filepath.Join(w.course.PageCache, wordsFile))
	if err != nil {
		return nil
	}
	old := make(map[string]string, bytes.Count(data, []byte("\n")))
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		if href, words, ok := bytes.Cut(line, []byte("\t")); ok {
			old[string(href)] = string(words)
		}
	}
	return old
}

// wordsAsLastBuild reports whether this build's words are the last
// build's: no page was rendered, and every kept page's words were found.
// The caller holds w.mu.
func (w *SiteWriter) wordsAsLastBuild() bool {
	return w.rendered == 0 && w.oldWords != nil && len(w.words) == len(w.oldWords())
}

// saveWords keeps this build's words for the next. When no page was
// rendered and every page's words came from the file, it is left alone.
func (w *SiteWriter) saveWords() {
	w.mu.Lock()
	if w.wordsAsLastBuild() {
		w.mu.Unlock()
		return
	}
	hrefs := make([]string, 0, len(w.words))
	size := 0
	for href, words := range w.words {
		hrefs = append(hrefs, href)
		size += len(href) + len(words) + 2
	}
	sort.Strings(hrefs)
	data := make([]byte, 0, size)
	for _, href := range hrefs {
		words := w.words[href]
		if strings.ContainsAny(href, "\t\n") || strings.ContainsAny(words, "\t\n") {
			continue // cannot be told apart on reading: render it again next time
		}
		data = append(append(append(append(data, href...), '\t'), words...), '\n')
	}
	w.mu.Unlock()
	if os.MkdirAll(w.course.PageCache, 0o755) == nil {
		_ = atomicfile.ReplaceIfChanged(filepath.Join(w.course.PageCache, wordsFile), data, 0o644)
	}
}

// page is a page in assets/search.js.
type page struct {
	H string `json:"h"`
	T string `json:"t"`
	W string `json:"w"`
}

// courseScripts are assets/course.js and assets/search.js.
func (w *SiteWriter) courseScripts(summaries []site.LabSummary) (course, search []byte) {
	type lab struct {
		T string `json:"t"`
		H string `json:"h"`
		S string `json:"s"`
	}
	labs := make([]lab, len(summaries))
	search = make([]byte, 0, 64<<10)
	search = append(search, "window.WIREBOOK_SEARCH = ["...)
	n := 0
	w.mu.Lock()
	for i, s := range summaries {
		labs[i] = lab{T: s.Title, H: s.Href, S: s.Status}
		if words, ok := w.words[s.Href]; ok {
			if n > 0 {
				search = append(search, ',')
			}
			n++
			search = appendSearchPage(search, page{H: s.Href, T: s.Title, W: words})
		}
	}
	w.mu.Unlock()
	// json.Marshal escapes <, > and & in strings, so the data cannot end
	// the script.
	l, _ := json.Marshal(map[string]any{"labs": labs})
	return append(append([]byte("window.WIREBOOK_COURSE = "), l...), ";\n"...),
		append(search, "];\n"...)
}

// appendSearchPage appends p as json.Marshal writes it. A page's words
// are most of search.js and are letters, digits, "@._-" and spaces, which
// JSON takes as they are: they are copied, not encoded (json.Marshal was
// most of a no-change rebuild); anything else goes through json.Marshal.
func appendSearchPage(dst []byte, p page) []byte {
	if !plainJSON(p.W) {
		b, _ := json.Marshal(p)
		return append(dst, b...)
	}
	h, _ := json.Marshal(p.H)
	t, _ := json.Marshal(p.T)
	dst = append(append(append(dst, `{"h":`...), h...), `,"t":`...)
	dst = append(append(dst, t...), `,"w":"`...)
	return append(append(dst, p.W...), `"}`...)
}

// plainJSON reports whether s needs no escaping in a JSON string as
// encoding/json writes it (HTML-safe, valid UTF-8, no U+2028 or U+2029).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.ValidString(s) && !strings.ContainsRune(s, '\u2028') && !strings.ContainsRune(s, '\u2029')
		}
	}
	return true
}
