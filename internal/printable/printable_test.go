package printable

import (
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for in, want := range map[string]string{
		"250 OK":                 "250 OK",
		"a\tb":                   "a\tb",
		"\x1b[2J\x07\x00\x7f":    `\x1b[2J\x07\x00\x7f`,
		"\xc2\x9b31m":            `\u009b31m`,
		"\xff\xfe(":              `\xff\xfe(`,
		"caf\u00e9 \u202eevil":   `café \u202eevil`,
		"<script>&amp;</script>": "<script>&amp;</script>", // HTML is the renderer's job
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzString: the result is valid UTF-8 without C0 (but tab), DEL or C1
// controls, whatever the input.
func FuzzString(f *testing.F) {
	f.Add("\x1b]0;owned\x07\xc2\x9b\xff")
	f.Fuzz(func(t *testing.T, s string) {
		got := String(s)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
		for _, r := range got {
			if (r < 0x20 && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
				t.Fatalf("raw control %U in %q", r, got)
			}
		}
	})
}
