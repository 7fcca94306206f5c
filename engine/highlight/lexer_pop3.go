package highlight

// The transcript lexer for POP3: commands and message numbers, +OK/-ERR
// with [CODES], the "+" go-ahead and the multi-line end.

import (
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"
)

func (x *lexState) pop3Root(line string) {
	if p, ok := cut(line, 'C'); ok && p.rest != "" && isLetter(p.rest[0]) {
		n := letters(p.rest, false)
		x.head(p)
		x.emit(chroma.Keyword, p.rest[:n])
		x.pop3Args(p.rest[n:])
		x.emit(chroma.Text, p.nl)
		return
	}
	if p, ok := cut(line, 'S'); ok {
		r := p.rest
		switch {
		case strings.HasPrefix(r, "+OK"), strings.HasPrefix(r, "-ERR"):
			n, t := 3, chroma.GenericInserted
			if r[0] == '-' {
				n, t = 4, chroma.GenericError
			}
			x.head(p)
			x.emit(t, r[:n])
			x.pop3Text(r[n:])
			x.emit(chroma.Text, p.nl)
			return
		case r == "+" || strings.HasPrefix(r, "+ "):
			x.head(p)
			x.emit(chroma.GenericSubheading, "+")
			x.emit(chroma.Text, r[1:])
			x.emit(chroma.Text, p.nl)
			x.push(modeCont)
			return
		case r == ".":
			x.plain(p, chroma.Punctuation)
			return
		}
	}
	x.common(line)
}

// pop3Args marks message numbers among a command's arguments.
func (x *lexState) pop3Args(s string) {
	for s != "" {
		t := chroma.Text
		n := runWhile(s, isDigit)
		if n > 0 {
			if r, _ := utf8.DecodeRuneInString(s[n:]); n == len(s) || isSpace(r) {
				t = chroma.LiteralNumber
			} else {
				n = 0
			}
		}
		if n == 0 {
			if n = runWhile(s, isSpace); n == 0 {
				n = runWhile(s, func(r rune) bool { return !isSpace(r) })
			}
		}
		x.emit(t, s[:n])
		s = s[n:]
	}
}

// pop3Text marks response codes such as [AUTH] in a status line's text.
func (x *lexState) pop3Text(s string) {
	for s != "" {
		if s[0] == '[' {
			if end := strings.IndexByte(s, ']'); end > 0 {
				x.emit(chroma.NameAttribute, s[:end+1])
				s = s[end+1:]
			} else {
				x.emit(chroma.Text, s[:1])
				s = s[1:]
			}
			continue
		}
		n := strings.IndexByte(s, '[')
		if n < 0 {
			n = len(s)
		}
		x.emit(chroma.Text, s[:n])
		s = s[n:]
	}
}
