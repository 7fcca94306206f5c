package highlight

import (
	"os"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
	chtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/styles"
)

// chromaCSS computes the token rules of the light and the dark style as
// css.go embeds them (chroma-light.css, chroma-dark.css).
func chromaCSS() (light, dark string) {
	lr := chromaRules(styles.Get(LightStyle))
	if !hasProp(lr[0].body, "color") {
		// The github style leaves text colour to the page; pin its own so a
		// dark page colour cannot meet the light background.
		lr[0].body = "color: #1f2328; " + lr[0].body
	}
	dr := chromaRules(styles.Get(DarkStyle))
	var l, d strings.Builder
	writeRules(&l, lr, "")
	writeRules(&d, resetMissing(lr, dr), "  ")
	return l.String(), d.String()
}

func TestChromaCSSUpToDate(t *testing.T) {
	light, dark := chromaCSS()
	if os.Getenv("UPDATE_GOLDEN") != "" {
		for name, data := range map[string]string{"chroma-light.css": light, "chroma-dark.css": dark} {
			if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if light != chromaLight || dark != chromaDark {
		t.Error("chroma-light.css or chroma-dark.css is not what chroma's styles give: run UPDATE_GOLDEN=1 go test ./engine/highlight/")
	}
}

// scopes are the blocks whose tokens the chroma rules colour.
var scopes = []string{".wb-code", ".wb-transcript"}

// resetProps are the properties a token rule may set.
var resetProps = map[string]string{
	"color":            "inherit",
	"background-color": "transparent",
	"font-weight":      "inherit",
	"font-style":       "inherit",
	"text-decoration":  "inherit",
}

// resetMissing returns the dark rules, completed so that whatever a light
// rule sets and the dark one does not is reset: the light rules apply in
// dark mode too, and a light colour left over on the dark background could
// be unreadable.
func resetMissing(light, dark []cssRule) []cssRule {
	out := append([]cssRule(nil), dark...)
	index := map[string]int{}
	for i, r := range out {
		index[r.class] = i
	}
	for _, l := range light {
		var resets []string
		i, ok := index[l.class]
		for _, d := range strings.Split(l.body, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(d), ":")
			v, known := resetProps[name]
			if known && (!ok || !hasProp(out[i].body, name)) {
				resets = append(resets, name+": "+v)
			}
		}
		if len(resets) == 0 {
			continue
		}
		if ok {
			out[i].body = strings.Join(append([]string{out[i].body}, resets...), "; ")
		} else {
			index[l.class] = len(out)
			out = append(out, cssRule{class: l.class, body: strings.Join(resets, "; ")})
		}
	}
	return out
}

func hasProp(body, name string) bool {
	for _, d := range strings.Split(body, ";") {
		if n, _, _ := strings.Cut(strings.TrimSpace(d), ":"); n == name {
			return true
		}
	}
	return false
}

// cssRule is one rule of chroma's stylesheet: class "" is the block
// itself (chroma's .bg and .chroma), else a token class such as "k".
type cssRule struct {
	class string
	body  string
}

// chromaRules runs chroma's CSS writer and parses its one-rule-per-line
// output, so the selectors can be rescoped to our block classes.
func chromaRules(style *chroma.Style) []cssRule {
	if style == nil {
		style = styles.Fallback
	}
	var b strings.Builder
	f := chtml.New(chtml.WithClasses(true), chtml.WithCSSComments(false))
	if err := f.WriteCSS(&b, style); err != nil {
		return nil
	}
	var out []cssRule
	var block []string
	for _, line := range strings.Split(b.String(), "\n") {
		sel, body, ok := strings.Cut(line, " { ")
		if !ok {
			continue
		}
		body = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(body), "}"))
		body = strings.TrimSuffix(strings.TrimSpace(body), ";")
		switch {
		case sel == ".bg" || sel == ".chroma":
			block = append(block, body)
		case strings.HasPrefix(sel, ".chroma ."):
			out = append(out, cssRule{class: strings.TrimPrefix(sel, ".chroma ."), body: body})
		}
	}
	// One rule for the block: background, colour, the text-size fix.
	merged := map[string]bool{}
	var decls []string
	for _, body := range block {
		for _, d := range strings.Split(body, ";") {
			d = strings.TrimSpace(d)
			if d != "" && !merged[d] {
				merged[d] = true
				decls = append(decls, d)
			}
		}
	}
	return append([]cssRule{{body: strings.Join(decls, "; ")}}, out...)
}

func writeRules(b *strings.Builder, rules []cssRule, ind string) {
	for _, r := range rules {
		writeRule(b, ind, r.class, r.body)
	}
}

func writeRule(b *strings.Builder, ind, class, body string) {
	if body == "" {
		return
	}
	b.WriteString(ind)
	for i, s := range scopes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
		if class != "" {
			b.WriteString(" .")
			b.WriteString(class)
		}
	}
	b.WriteString(" { ")
	b.WriteString(body)
	b.WriteString(" }\n")
}
