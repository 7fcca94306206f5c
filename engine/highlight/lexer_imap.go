package highlight

// The transcript lexer for IMAP: tags, commands, status responses,
// untagged data and literals that span lines.

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"
)

// imapTagLen is the length of the tag at the start of s: an atom without
// "+" (no space, parentheses, brace, %, *, quote, backslash or "]").
func imapTagLen(s string) int {
	return runWhile(s, func(r rune) bool {
		return !isSpace(r) && !strings.ContainsRune(`(){%*"\]+`, r)
	})
}

func (x *lexState) imapRoot(line string) {
	if p, ok := cut(line, 'C'); ok {
		r := p.rest
		if r != "" && letters(r, false) == len(r) {
			x.plain(p, chroma.Keyword)
			return
		}
		if tag := imapTagLen(r); tag > 0 && strings.HasPrefix(r[tag:], " ") {
			cmd := r[tag+1:]
			n := 0
			if u := foldPrefix(cmd, "uid "); u > 0 && letters(cmd[u:], false) > 0 {
				n = u + letters(cmd[u:], false)
			} else {
				n = letters(cmd, false)
			}
			if n > 0 {
				x.head(p)
				x.emit(chroma.NameLabel, r[:tag])
				x.emit(chroma.Text, " ")
				x.emit(chroma.Keyword, cmd[:n])
				x.imapData(cmd[n:])
				x.emit(chroma.Text, p.nl)
				x.pushLiteral(line, modeIMAPLitC)
				return
			}
		}
	}
	if p, ok := cut(line, 'S'); ok {
		if strings.HasPrefix(p.rest, "+") {
			x.imapPlus(p)
			x.push(modeCont)
			return
		}
		x.imapServer(p)
		x.pushLiteral(line, modeIMAPLitS)
		return
	}
	x.common(line)
}

// imapPlus is a continuation request "+ text".
func (x *lexState) imapPlus(p prefixed) {
	x.head(p)
	x.emit(chroma.GenericSubheading, "+")
	x.emit(chroma.Text, p.rest[1:])
	x.emit(chroma.Text, p.nl)
}

// imapStatus matches OK, NO or BAD (any case) before a space or the end.
func imapStatus(s string, words ...string) (int, chroma.TokenType) {
	for _, w := range words {
		if n := foldPrefix(s, w); n > 0 && endsWord(s[n:]) {
			switch w {
			case "no":
				return n, chroma.GenericTraceback
			case "bad":
				return n, chroma.GenericError
			}
			return n, chroma.GenericInserted
		}
	}
	return 0, 0
}

func (x *lexState) imapServer(p prefixed) {
	r := p.rest
	x.head(p)
	if strings.HasPrefix(r, "* ") {
		s := r[2:]
		if n, t := imapStatus(s, "ok", "preauth"); n > 0 {
			x.imapResponse(chroma.NameTag, "*", t, s[:n], s[n:], p.nl)
			return
		}
		for _, w := range []string{"no", "bad"} {
			if n, t := imapStatus(s, w); n > 0 {
				x.imapResponse(chroma.NameTag, "*", t, s[:n], s[n:], p.nl)
				return
			}
		}
		if d := runWhile(s, isDigit); d > 0 && strings.HasPrefix(s[d:], " ") {
			if n := letters(s[d+1:], false); n > 0 {
				x.emit(chroma.NameTag, "*")
				x.emit(chroma.Text, " ")
				x.emit(chroma.LiteralNumber, s[:d])
				x.emit(chroma.Text, " ")
				x.emit(chroma.Keyword, s[d+1:d+1+n])
				x.imapData(s[d+1+n:])
				x.emit(chroma.Text, p.nl)
				return
			}
		}
		if n := letters(s, false); n > 0 {
			x.imapResponse(chroma.NameTag, "*", chroma.Keyword, s[:n], s[n:], p.nl)
			return
		}
	}
	if tag := imapTagLen(r); tag > 0 && strings.HasPrefix(r[tag:], " ") {
		s := r[tag+1:]
		for _, w := range []string{"ok", "no", "bad"} {
			if n, t := imapStatus(s, w); n > 0 {
				x.imapResponse(chroma.NameLabel, r[:tag], t, s[:n], s[n:], p.nl)
				return
			}
		}
	}
	// The rest of a response after a literal, which may announce another.
	x.imapData(r)
	x.emit(chroma.Text, p.nl)
}

func (x *lexState) imapResponse(tagType chroma.TokenType, tag string, wordType chroma.TokenType, word, rest, nl string) {
	x.emit(tagType, tag)
	x.emit(chroma.Text, " ")
	x.emit(wordType, word)
	x.imapData(rest)
	x.emit(chroma.Text, nl)
}

// pushLiteral enters the literal mode m when line ends with a literal
// announcement "{N}" (or "{N+}").
func (x *lexState) pushLiteral(line string, m lexMode) {
	if n := trailingLiteral(line); n > 0 {
		if m == modeIMAPLitS {
			x.litS = n
		} else {
			x.litC = n
		}
		x.push(m)
	}
}

// imapData marks the parts of a command's or response's data.
func (x *lexState) imapData(s string) {
	for s != "" {
		n, t := 0, chroma.Text
		c := s[0]
		switch {
		case c == '[' && strings.IndexByte(s, ']') > 0:
			n, t = strings.IndexByte(s, ']')+1, chroma.NameAttribute
		case c == '"' && quotedLen(s) > 0:
			n, t = quotedLen(s), chroma.LiteralString
		case c == '{' && literalLen(s) > 0:
			n, t = literalLen(s), chroma.LiteralNumber
		case c == '\\' && len(s) > 1 && (isLetter(s[1]) || s[1] == '*'):
			n, t = 2, chroma.NameBuiltin
			if s[1] != '*' {
				n = 1 + letters(s[1:], false)
			}
		case strings.HasPrefix(s, "NIL") && !followedBy(s[3:], ".-"):
			n, t = 3, chroma.KeywordConstant
		case runWhile(s, isDigit) > 0 && !followedBy(s[runWhile(s, isDigit):], ".:-"):
			n, t = runWhile(s, isDigit), chroma.LiteralNumber
		case c == '(' || c == ')':
			n, t = 1, chroma.Punctuation
		default:
			if n = runWhile(s, isSpace); n == 0 {
				n = runWhile(s, func(r rune) bool { return !isSpace(r) && !strings.ContainsRune(`()[]"{\`, r) })
			}
			if n == 0 {
				_, n = utf8.DecodeRuneInString(s)
			}
		}
		x.emit(t, s[:n])
		s = s[n:]
	}
}

// followedBy reports whether s starts with a word character or one of
// extra: the negative lookaheads after NIL and numbers.
func followedBy(s, extra string) bool {
	if s == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	return isWord(r) || strings.ContainsRune(extra, r)
}

// quotedLen is the length of the quoted string at the start of s, or 0.
func quotedLen(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '"':
			return i + 1
		case '\\':
			if i+1 >= len(s) {
				return 0
			}
			_, size := utf8.DecodeRuneInString(s[i+1:])
			i += size
		}
	}
	return 0
}

// literalLen is the length of "{N}" or "{N+}" at the start of s, or 0.
func literalLen(s string) int {
	d := digitsN(s[1:], 1, 0)
	if d < 0 {
		return 0
	}
	i := 1 + d
	if strings.HasPrefix(s[i:], "+") {
		i++
	}
	if !strings.HasPrefix(s[i:], "}") {
		return 0
	}
	return i + 1
}

// trailingLiteral returns N for a line ending in "{N}" or "{N+}", else 0.
func trailingLiteral(line string) int {
	line = strings.TrimSuffix(line, "\n")
	if !strings.HasSuffix(line, "}") {
		return 0
	}
	open := strings.LastIndexByte(line, '{')
	if open < 0 {
		return 0
	}
	digits := strings.TrimSuffix(line[open+1:len(line)-1], "+")
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || len(digits) > 9 {
		return 0
	}
	return n
}
