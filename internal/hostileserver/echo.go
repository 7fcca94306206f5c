package hostileserver

import (
	"bytes"
	"encoding/base64"
	"html"
	"mime/quotedprintable"
	"net/url"
	"strings"
)

// echo is what Echo mode adds to a reply to line: the line itself, and for
// every word and every base64-decoded word (split at NUL and ":", as in AUTH
// PLAIN and HTTP Basic) that part in clear, in base64 at all three
// alignments, URL-encoded, quoted-printable and HTML-escaped: every form a
// careless or hostile server could hand a credential back in. Other modes
// add nothing.
func (c *conn) echo(line string) string {
	if c.s.Mode != Echo {
		return ""
	}
	var parts []string
	for _, w := range strings.Fields(line) {
		w = strings.Trim(w, `"`)
		parts = append(parts, w)
		if dec, err := base64.StdEncoding.DecodeString(w); err == nil {
			parts = append(parts, string(dec))
			for _, p := range strings.FieldsFunc(string(dec), func(r rune) bool { return r == 0 || r == ':' }) {
				parts = append(parts, p)
			}
		}
	}
	var b strings.Builder
	b.WriteString(" you said: ")
	b.WriteString(line)
	for _, p := range parts {
		b.WriteString(" | ")
		b.WriteString(p)
		for _, pre := range []string{"", "x", "xy"} {
			b.WriteString(" " + base64.StdEncoding.EncodeToString([]byte(pre+p)))
		}
		b.WriteString(" " + url.QueryEscape(p) + " " + url.PathEscape(p) + " " + html.EscapeString(p) + " " + qp(p))
	}
	return strings.NewReplacer("\r", "", "\n", "").Replace(b.String())
}

func qp(s string) string {
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	w.Write([]byte(s))
	w.Close()
	return buf.String()
}
