// Package printable is the one neutraliser for text that came from a
// server: every place wirebook shows such text (transcripts, captions,
// notes, errors, reports, JSON) makes it safe with this package, so an
// escape sequence, a NUL or invalid UTF-8 shows the same way everywhere.
package printable

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Escape returns the escape shown for the rune r of size bytes at the start
// of s, or "" when r is safe to show as it is. Unsafe are C0 and C1
// controls (tab excepted), DEL, invalid UTF-8, line/paragraph separators,
// the byte order mark and bidirectional controls, which could reorder or
// hide what the server sent.
func Escape(s string, r rune, size int) string {
	switch {
	case r == utf8.RuneError && size == 1:
		return fmt.Sprintf(`\x%02x`, s[0])
	case r == '\t':
		return ""
	case r < 0x20 || r == 0x7f:
		return fmt.Sprintf(`\x%02x`, r)
	case r >= 0x80 && r <= 0x9f,
		r == 0x061c, r == 0x200e, r == 0x200f,
		r >= 0x202a && r <= 0x202e,
		r >= 0x2066 && r <= 0x2069,
		r == 0x2028, r == 0x2029, r == 0xfeff:
		return fmt.Sprintf(`\u%04x`, r)
	}
	return ""
}

// String returns s with every unsafe character replaced by its visible
// escape (\x1b, \u009b, \xff for an invalid byte); tab is kept. The result
// is valid UTF-8 and safe to print to a terminal.
func String(s string) string {
	clean := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if Escape(s[i:], r, size) != "" {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if esc := Escape(s[i:], r, size); esc != "" {
			b.WriteString(esc)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
