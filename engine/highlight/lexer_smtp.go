package highlight

// The transcript lexer for SMTP: commands and their FROM:/TO:/NAME=
// arguments, replies by class with enhanced status codes, DATA and the
// SASL line after 334.

import (
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"
)

func (x *lexState) smtpRoot(line string) {
	if p, ok := cut(line, 'C'); ok && p.rest != "" && isLetter(p.rest[0]) {
		n := 1 + letters(p.rest[1:], true)
		x.head(p)
		x.emit(chroma.Keyword, p.rest[:n])
		x.smtpArgs(p.rest[n:])
		x.emit(chroma.Text, p.nl)
		return
	}
	if p, ok := cut(line, 'S'); ok {
		if code, sep, sp, enh, text, ok := smtpReply(p.rest); ok {
			tok := replyToken(code[0])
			switch code {
			case "354":
				x.push(modeSMTPData)
			case "334":
				x.push(modeCont)
			}
			x.head(p)
			x.emit(tok, code)
			x.emit(chroma.Punctuation, sep)
			x.emit(chroma.Text, sp)
			x.emit(chroma.LiteralNumber, enh)
			x.emit(chroma.Text, text)
			x.emit(chroma.Text, p.nl)
			return
		}
	}
	x.common(line)
}

// replyToken colours a reply (SMTP, HTTP) by its class digit.
func replyToken(class byte) chroma.TokenType {
	switch class {
	case '2':
		return chroma.GenericInserted
	case '4':
		return chroma.GenericTraceback
	case '5':
		return chroma.GenericError
	}
	return chroma.GenericSubheading
}

// smtpReply splits "250-2.1.0 text": the code (class 1-5 and two digits),
// "-" or nothing before a space or the end, one space, an enhanced status
// code followed by a space or the end, the text.
func smtpReply(s string) (code, sep, sp, enh, text string, ok bool) {
	if s == "" || s[0] < '1' || s[0] > '5' {
		return
	}
	n := digitsN(s[1:], 2, 2)
	if n < 0 {
		return
	}
	code, s = s[:1+n], s[1+n:]
	switch {
	case strings.HasPrefix(s, "-"):
		sep, s = "-", s[1:]
	case !endsWord(s):
		return
	}
	if strings.HasPrefix(s, " ") {
		sp, s = " ", s[1:]
	}
	if n := enhancedCode(s); n > 0 {
		enh, s = s[:n], s[n:]
	}
	return code, sep, sp, enh, s, true
}

// enhancedCode is the length of "d.ddd.ddd" at the start of s when a space
// or the end follows, else 0.
func enhancedCode(s string) int {
	i := digitsN(s, 1, 1)
	if i < 0 || !strings.HasPrefix(s[i:], ".") {
		return 0
	}
	i++
	j := digitsN(s[i:], 1, 3)
	if j < 0 || !strings.HasPrefix(s[i+j:], ".") {
		return 0
	}
	i += j + 1
	j = digitsN(s[i:], 1, 3)
	if j < 0 || !endsWord(s[i+j:]) {
		return 0
	}
	return i + j
}

// smtpArgs lexes a command's arguments: FROM:/TO:, <paths>, NAME=value.
func (x *lexState) smtpArgs(s string) {
	for s != "" {
		n, t := 0, chroma.Text
		switch {
		case foldPrefix(s, "from:") > 0 || foldPrefix(s, "to:") > 0:
			w := max(foldPrefix(s, "from:"), foldPrefix(s, "to:")) - 1
			x.emit(chroma.NameAttribute, s[:w])
			x.emit(chroma.Punctuation, ":")
			s = s[w+1:]
			continue
		case s[0] == '<' && strings.IndexByte(s, '>') > 0:
			n, t = strings.IndexByte(s, '>')+1, chroma.LiteralString
		case isLetter(s[0]) && strings.HasPrefix(s[1+smtpParamName(s[1:]):], "="):
			n, t = 1+smtpParamName(s[1:]), chroma.NameAttribute
		case s[0] == '=':
			n, t = 1, chroma.Operator
		default:
			if n = runWhile(s, isSpace); n == 0 {
				n = runWhile(s, func(r rune) bool { return !isSpace(r) && r != '<' && r != '=' })
			}
			if n == 0 {
				_, n = utf8.DecodeRuneInString(s)
			}
		}
		x.emit(t, s[:n])
		s = s[n:]
	}
}

func smtpParamName(s string) int {
	i := 0
	for i < len(s) && (isLetter(s[i]) || s[i] >= '0' && s[i] <= '9' || s[i] == '-') {
		i++
	}
	return i
}
