package highlight

import (
	"strings"
	"testing"
)

func TestCode(t *testing.T) {
	tests := []struct {
		name, lang, code string
		want             []string
		notWant          []string
	}{
		{"go keywords", "go", "package main\nvar s = \"<b>\"\n",
			[]string{`<pre class="wb-code" data-lang="go"><code>`, `<span class="kn">package</span>`, `&#34;&lt;b&gt;&#34;`}, []string{"<b>"}},
		{"unknown language is plain", "no-such-language", "<script>x</script>",
			[]string{`data-lang="no-such-language"`, "&lt;script&gt;"}, []string{"<script>"}},
		{"empty language", "", "a & b",
			[]string{`data-lang=""`, "a &amp; b"}, nil},
		{"hostile language", `"><script>`, "x",
			[]string{`data-lang="script"`}, []string{"<script>"}},
		{"transcript alias", "smtp-transcript", "S: 250 ok\n",
			[]string{`<span class="gi">250</span>`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Code(tt.lang, tt.code))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Code(%q, %q) = %s\nwant it to contain %s", tt.lang, tt.code, got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("Code(%q, %q) = %s\nmust not contain %s", tt.lang, tt.code, got, w)
				}
			}
			if strings.Contains(got, "style=") {
				t.Errorf("Code(%q) uses inline styles: %s", tt.lang, got)
			}
		})
	}
}

func TestCSS(t *testing.T) {
	css := CSS()
	if css != CSS() {
		t.Errorf("CSS() differs between calls")
	}
	for _, want := range []string{
		"@media (prefers-color-scheme: dark) {",
		".wb-code .k, .wb-transcript .k {",
		".wb-transcript .wb-gutter { flex: none; width: 3ch; white-space: pre;",
		".wb-transcript .wb-line .gi {",
		".wb-transcript .wb-ctl {",
		"overflow-x: auto",
	} {
		if !strings.Contains(css, want) {
			t.Errorf("CSS() lacks %q", want)
		}
	}
	if strings.Contains(css, ".chroma") || strings.Contains(css, ".bg ") {
		t.Errorf("CSS() has unscoped chroma selectors")
	}
	if o, c := strings.Count(css, "{"), strings.Count(css, "}"); o != c {
		t.Errorf("CSS() has %d { and %d }", o, c)
	}
	// In dark mode every class the light style colours is set again, so no
	// light colour is left on the dark background.
	dark := css[strings.Index(css, "@media (prefers-color-scheme: dark)"):]
	for _, cls := range []string{".gi", ".err", ".nl"} {
		if !strings.Contains(dark, ".wb-transcript "+cls+" {") {
			t.Errorf("dark section does not set %s", cls)
		}
	}
}
