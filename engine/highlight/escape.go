package highlight

import (
	"strings"
	"unicode/utf8"

	"github.com/wirebook/wirebook/internal/printable"
)

// placeholder stands in for each unsafe character while a line is lexed:
// the lexer works on runes and would turn invalid bytes into U+FFFD anyway,
// so every U+FFFD in the lexed text is one entry of the line's subs.
const placeholder = '\uFFFD'

// sub is what a placeholder shows: a visible escape, or a U+FFFD that was
// really in the text.
type sub struct {
	text string
	ctl  bool
}

// visibleEscape is the shared neutraliser's escape for one rune.
func visibleEscape(s string, r rune, size int) string { return printable.Escape(s, r, size) }

// neutralise returns s with each unsafe character (and each real U+FFFD)
// replaced by the placeholder, and what to show for each, in order.
func neutralise(s string) (string, []sub) {
	// Almost every line is safe as it is: check before copying.
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f || c == '\t' {
			i++
			continue
		}
		if c < 0x80 {
			return neutraliseCopy(s)
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == placeholder || visibleEscape(s[i:], r, size) != "" {
			return neutraliseCopy(s)
		}
		i += size
	}
	return s, nil
}

func neutraliseCopy(s string) (string, []sub) {
	var b strings.Builder
	var subs []sub
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if esc := visibleEscape(s[i:], r, size); esc != "" {
			b.WriteRune(placeholder)
			subs = append(subs, sub{text: esc, ctl: true})
		} else if r == placeholder {
			b.WriteRune(placeholder)
			subs = append(subs, sub{text: string(placeholder)})
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String(), subs
}

// Neutralise returns s with control characters, invalid UTF-8 and
// bidirectional controls replaced by visible escapes such as \x1b; tab is
// kept. It is safe to print to a terminal.
func Neutralise(s string) string { return printable.String(s) }

// htmlWriter writes lexed text as escaped HTML, replacing placeholders
// with the line's subs in order.
type htmlWriter struct {
	b    *strings.Builder
	subs []sub
}

func (w *htmlWriter) text(s string) {
	// Runs of bytes that need nothing are written at once.
	run := 0
	for i := 0; i < len(s); {
		var esc string
		size := 1
		switch c := s[i]; c {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		default:
			if c < utf8.RuneSelf {
				i++
				continue
			}
			var r rune
			if r, size = utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError {
				i += size
				continue
			}
		}
		w.b.WriteString(s[run:i])
		if esc != "" {
			w.b.WriteString(esc)
		} else {
			w.placeholder() // U+FFFD, or a byte that is not UTF-8
		}
		i += size
		run = i
	}
	w.b.WriteString(s[run:])
}

func (w *htmlWriter) placeholder() {
	if len(w.subs) == 0 {
		// Cannot happen for text from neutralise; show it rather than lose it.
		w.b.WriteRune(placeholder)
		return
	}
	s := w.subs[0]
	w.subs = w.subs[1:]
	if !s.ctl {
		w.b.WriteString(s.text)
		return
	}
	w.b.WriteString(`<span class="wb-ctl">`)
	w.b.WriteString(s.text) // only \xNN and \uNNNN: nothing to escape
	w.b.WriteString(`</span>`)
}
