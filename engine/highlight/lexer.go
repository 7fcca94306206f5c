package highlight

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"
)

// Lexer returns the transcript lexer for a protocol: "smtp", "pop3",
// "imap", "http" and their TLS variants. Any other name gets the generic
// transcript lexer, which marks only prefixes and notes. Lexers are shared
// and safe for concurrent use.
//
// They are chroma lexers (chroma's token types, its formatter for code
// fences) but not regexp rule tables: a transcript line's kind is known
// from its first two characters, so each line is classified directly by
// its prefix and the protocol's grammar, with a small state stack for
// what spans lines (SMTP DATA, SASL after 334, IMAP literals, HTTP heads
// and bodies). The tokens are the ones the earlier regexp rules gave
// (lexer_regexp_test.go keeps those rules and compares).
func Lexer(proto string) chroma.Lexer {
	return lexerFor(baseProto(proto))
}

// baseProto maps the implicit-TLS variants onto their protocol: the
// dialogue is the same once the TLS note is written.
func baseProto(proto string) string {
	p := strings.ToLower(proto)
	switch p {
	case "smtps", "submission", "submissions":
		return "smtp"
	case "pop3s":
		return "pop3"
	case "imaps":
		return "imap"
	case "https":
		return "http"
	}
	return p
}

var transcriptLexers = map[string]*lineLexer{
	"":     {config: &chroma.Config{Name: "wirebook-transcript", Aliases: []string{"transcript", "wirebook"}, EnsureNL: true}, root: (*lexState).common},
	"smtp": {config: &chroma.Config{Name: "wirebook-transcript-smtp", Aliases: []string{"smtp-transcript", "smtps-transcript"}, EnsureNL: true}, root: (*lexState).smtpRoot},
	"pop3": {config: &chroma.Config{Name: "wirebook-transcript-pop3", Aliases: []string{"pop3-transcript", "pop3s-transcript"}, EnsureNL: true}, root: (*lexState).pop3Root},
	"imap": {config: &chroma.Config{Name: "wirebook-transcript-imap", Aliases: []string{"imap-transcript", "imaps-transcript"}, EnsureNL: true}, root: (*lexState).imapRoot},
	"http": {config: &chroma.Config{Name: "wirebook-transcript-http", Aliases: []string{"http-transcript", "https-transcript"}, EnsureNL: true}, root: (*lexState).httpRoot},
}

func lexerFor(proto string) chroma.Lexer {
	if l, ok := transcriptLexers[proto]; ok {
		return l
	}
	return transcriptLexers[""]
}

// lexerByAlias finds a transcript lexer by one of its names or aliases, so
// a fenced block tagged "smtp-transcript" is highlighted like a session.
func lexerByAlias(name string) chroma.Lexer {
	name = strings.ToLower(name)
	for _, l := range transcriptLexers {
		if l.config.Name == name {
			return l
		}
		for _, a := range l.config.Aliases {
			if a == name {
				return l
			}
		}
	}
	return nil
}

// lineLexer is a chroma.Lexer that lexes a transcript line by line.
type lineLexer struct {
	config *chroma.Config
	root   func(x *lexState, line string) // lexes one line in the root state
}

func (l *lineLexer) Config() *chroma.Config                             { return l.config }
func (l *lineLexer) SetRegistry(*chroma.LexerRegistry) chroma.Lexer     { return l }
func (l *lineLexer) SetAnalyser(func(text string) float32) chroma.Lexer { return l }
func (l *lineLexer) AnalyseText(string) float32                         { return 0 }

// Tokenise lexes text; like chroma's lexers it works on runes (invalid
// UTF-8 becomes U+FFFD) and adds a missing final line end.
func (l *lineLexer) Tokenise(opts *chroma.TokeniseOptions, text string) (chroma.Iterator, error) {
	if opts == nil || opts.EnsureLF { // chroma's default options ask for it
		text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	}
	if !utf8.ValidString(text) {
		text = string([]rune(text))
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	x := &lexState{src: text, out: make([]chroma.Token, 0, strings.Count(text, "\n")*4)}
	for text != "" {
		nl := strings.IndexByte(text, '\n')
		x.line(l.root, text[:nl+1])
		text = text[nl+1:]
	}
	x.flush()
	toks := x.out
	return func() chroma.Token {
		if len(toks) == 0 {
			return chroma.EOF
		}
		t := toks[0]
		toks = toks[1:]
		return t
	}, nil
}

// States a transcript lexer can be in besides root.
type lexMode uint8

const (
	modeCont      lexMode = iota + 1 // the line after a go-ahead (334, "+"): data, not a command
	modeSMTPData                     // between 354 and the lone dot
	modeIMAPLitS                     // inside a server literal
	modeIMAPLitC                     // inside a client literal
	modeHTTPCHead                    // request header lines
	modeHTTPSHead                    // response header lines
	modeHTTPCBody                    // request body
	modeHTTPSBody                    // response body
)

// lexState is one tokenisation: the mode stack, the bytes left in the
// current IMAP literals, and the tokens so far, coalesced as chroma's
// Coalesce does (same type merged while shorter than 8 KiB).
type lexState struct {
	stack      []lexMode
	litS, litC int
	out        []chroma.Token
	cur        chroma.Token
	// Every byte of src is emitted once, in order, so the current token
	// is always src[start:pos] and merging is extending it, not copying.
	src        string
	start, pos int
}

func (x *lexState) emit(t chroma.TokenType, v string) {
	if v == "" {
		return
	}
	if x.cur.Value != "" && x.cur.Type == t && len(x.cur.Value) < 8192 {
		x.pos += len(v)
		x.cur.Value = x.src[x.start:x.pos]
		return
	}
	x.flush()
	x.start = x.pos
	x.pos += len(v)
	x.cur = chroma.Token{Type: t, Value: x.src[x.start:x.pos]}
}

func (x *lexState) flush() {
	if x.cur.Value != "" {
		x.out = append(x.out, x.cur)
		x.cur = chroma.Token{}
	}
}

func (x *lexState) push(m lexMode) { x.stack = append(x.stack, m) }
func (x *lexState) pop() {
	if len(x.stack) > 0 {
		x.stack = x.stack[:len(x.stack)-1]
	}
}

// line lexes one line (with its "\n"): the innermost mode either takes it
// or gives up and is popped, down to root.
func (x *lexState) line(root func(*lexState, string), line string) {
	for len(x.stack) > 0 {
		if x.mode(x.stack[len(x.stack)-1], line) {
			return
		}
		x.pop()
	}
	root(x, line)
}

// prefixed is a line split at its prefix: "C:"/"C+", "S:" or "N:", the
// one optional space after it, the rest and the line end.
type prefixed struct {
	mark, sp, rest, nl string
}

// cut splits line if it starts with the prefix of kind ('C', 'S', 'N').
func cut(line string, kind byte) (prefixed, bool) {
	if len(line) < 3 || line[0] != kind || !(line[1] == ':' || kind == 'C' && line[1] == '+') {
		return prefixed{}, false
	}
	body := line[2 : len(line)-1]
	p := prefixed{mark: line[:2], nl: line[len(line)-1:]}
	if strings.HasPrefix(body, " ") {
		p.sp, body = " ", body[1:]
	}
	p.rest = body
	return p, true
}

// head emits the prefix and the space after it.
func (x *lexState) head(p prefixed) {
	t := chroma.GenericPrompt
	switch p.mark[0] {
	case 'S':
		t = chroma.GenericOutput
	case 'N':
		t = chroma.CommentPreproc
	}
	x.emit(t, p.mark)
	x.emit(chroma.Text, p.sp)
}

// plain emits a prefixed line whose rest is one token of type t.
func (x *lexState) plain(p prefixed, t chroma.TokenType) {
	x.head(p)
	x.emit(t, p.rest)
	x.emit(chroma.Text, p.nl)
}

// common lexes what every protocol shares: notes, any client or server
// line as text, and anything else as text.
func (x *lexState) common(line string) {
	if p, ok := cut(line, 'N'); ok {
		if strings.HasPrefix(p.rest, "error") {
			x.plain(p, chroma.GenericError)
		} else {
			x.plain(p, chroma.Comment)
		}
		return
	}
	for _, k := range []byte{'C', 'S'} {
		if p, ok := cut(line, k); ok {
			x.plain(p, chroma.Text)
			return
		}
	}
	x.emit(chroma.Text, line)
}

// mode lexes line in mode m; false means m does not take the line.
func (x *lexState) mode(m lexMode, line string) bool {
	switch m {
	case modeCont:
		if p, ok := cut(line, 'C'); ok {
			if p.rest == "DONE" {
				x.plain(p, chroma.Keyword)
			} else {
				x.plain(p, chroma.Text)
			}
			x.pop()
			return true
		}
	case modeSMTPData:
		if p, ok := cut(line, 'C'); ok {
			if p.rest == "." {
				x.plain(p, chroma.Punctuation)
				x.pop()
			} else {
				x.plain(p, chroma.Text)
			}
			return true
		}
	case modeIMAPLitS, modeIMAPLitC:
		kind, rem := byte('S'), &x.litS
		if m == modeIMAPLitC {
			kind, rem = 'C', &x.litC
		}
		if p, ok := cut(line, kind); ok {
			x.plain(p, chroma.Text)
			// The literal's bytes plus CRLF; the line may announce the next.
			*rem -= len(p.rest) + 2
			if *rem <= 0 {
				if n := trailingLiteral(line); n > 0 {
					*rem = n
				} else {
					x.pop()
				}
			}
			return true
		}
		if m == modeIMAPLitC {
			if p, ok := cut(line, 'S'); ok && strings.HasPrefix(p.rest, "+") {
				x.imapPlus(p)
				return true
			}
		}
	case modeHTTPCHead, modeHTTPSHead:
		kind, body := byte('C'), modeHTTPCBody
		if m == modeHTTPSHead {
			kind, body = 'S', modeHTTPSBody
		}
		if p, ok := cut(line, kind); ok && p.rest == "" {
			x.head(p)
			x.emit(chroma.Text, p.nl)
			x.pop()
			x.push(body)
			return true
		}
		return x.httpHeader(line, kind)
	case modeHTTPCBody:
		if p, ok := cut(line, 'C'); ok {
			if _, _, _, req := httpRequest(p.rest); req {
				return false // a new request ends a body the lexer cannot size
			}
			x.plain(p, chroma.Text)
			return true
		}
	case modeHTTPSBody:
		if p, ok := cut(line, 'S'); ok {
			if httpStatusAhead(p.rest) {
				return false
			}
			x.plain(p, chroma.Text)
			return true
		}
	}
	return false
}

// Character classes, with the meaning the regexp rules gave them
// (regexp2's \d, \s and \w are Unicode classes).
func isDigit(r rune) bool  { return unicode.IsDigit(r) }
func isSpace(r rune) bool  { return unicode.IsSpace(r) }
func isLetter(b byte) bool { return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' }
func isWord(r rune) bool {
	return unicode.In(r, unicode.L, unicode.Mn, unicode.Nd, unicode.Pc) || r == '\u200D' || r == '\u200C'
}

// letters is the length of the run of ASCII letters (and digits, when
// digits is set) at the start of s.
func letters(s string, digits bool) int {
	i := 0
	for i < len(s) && (isLetter(s[i]) || digits && s[i] >= '0' && s[i] <= '9') {
		i++
	}
	return i
}

// runWhile is the length in bytes of the run of runes at the start of s
// for which f holds.
func runWhile(s string, f func(rune) bool) int {
	for i, r := range s {
		if !f(r) {
			return i
		}
	}
	return len(s)
}

// digitsThen is the length of the run of Unicode digits at the start of
// s, at least min and at most max runes (max 0: no limit), or -1.
func digitsN(s string, min, max int) int {
	n, i := 0, 0
	for i < len(s) && (max == 0 || n < max) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isDigit(r) {
			break
		}
		n++
		i += size
	}
	if n < min {
		return -1
	}
	return i
}

// foldPrefix reports the length of word at the start of s compared case
// insensitively as regexp2 does (a rune matches the letters of its case
// folding orbit: "k" matches "K" and the Kelvin sign), or -1; word is ASCII
// lower case.
func foldPrefix(s, word string) int {
	i := 0
	for j := 0; j < len(word); j++ {
		if i >= len(s) {
			return -1
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !foldEq(r, rune(word[j])) {
			return -1
		}
		i += size
	}
	return i
}

func foldEq(r, c rune) bool {
	for f := c; ; {
		if r == f {
			return true
		}
		if f = unicode.SimpleFold(f); f == c {
			return false
		}
	}
}

// endsWord reports whether s is empty or starts with a space: the
// lookahead (?= |\n) of the rules.
func endsWord(s string) bool { return s == "" || s[0] == ' ' }

// --- SMTP ---

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

// --- POP3 ---

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

// --- IMAP ---

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

// --- HTTP ---

// httpRequest splits a request line "METHOD target HTTP/1.1".
func httpRequest(s string) (method, target, version string, ok bool) {
	m := 0
	for m < len(s) && s[m] >= 'A' && s[m] <= 'Z' {
		m++
	}
	if m == 0 || !strings.HasPrefix(s[m:], " ") {
		return
	}
	rest := s[m+1:]
	t := strings.IndexByte(rest, ' ')
	if t <= 0 {
		return
	}
	v := rest[t+1:]
	if n := httpVersion(v); n == 0 || n != len(v) {
		// The version must end the line; without its ".d" it may still.
		if n2 := httpVersionShort(v); n2 == 0 || n2 != len(v) {
			return
		}
	}
	return s[:m], rest[:t], v, true
}

// httpVersion is the length of "HTTP/d.d" (or "HTTP/d" when no ".d"
// follows) at the start of s, or 0.
func httpVersion(s string) int {
	if !strings.HasPrefix(s, "HTTP/") {
		return 0
	}
	d := digitsN(s[5:], 1, 1)
	if d < 0 {
		return 0
	}
	i := 5 + d
	if strings.HasPrefix(s[i:], ".") {
		if e := digitsN(s[i+1:], 1, 1); e > 0 {
			return i + 1 + e
		}
	}
	return i
}

// httpVersionShort is "HTTP/d" alone, for when the ".d" form does not fit.
func httpVersionShort(s string) int {
	if !strings.HasPrefix(s, "HTTP/") {
		return 0
	}
	d := digitsN(s[5:], 1, 1)
	if d < 0 {
		return 0
	}
	return 5 + d
}

// httpStatus splits a status line "HTTP/1.1 200 text" whose code has class
// 1-5.
func httpStatus(s string) (version, code, rest string, ok bool) {
	for _, n := range []int{httpVersion(s), httpVersionShort(s)} {
		if n == 0 || !strings.HasPrefix(s[n:], " ") {
			continue
		}
		c := s[n+1:]
		if c == "" || c[0] < '1' || c[0] > '5' {
			return
		}
		d := digitsN(c[1:], 2, 2)
		if d < 0 {
			return
		}
		return s[:n], c[:1+d], c[1+d:], true
	}
	return
}

// httpStatusAhead reports whether s starts like a status line with any
// three-digit code: it ends a response body.
func httpStatusAhead(s string) bool {
	for _, n := range []int{httpVersion(s), httpVersionShort(s)} {
		if n > 0 && strings.HasPrefix(s[n:], " ") && digitsN(s[n+1:], 3, 3) > 0 {
			return true
		}
	}
	return false
}

func (x *lexState) httpRoot(line string) {
	if p, ok := cut(line, 'C'); ok {
		if method, target, version, ok := httpRequest(p.rest); ok {
			x.head(p)
			x.emit(chroma.Keyword, method)
			x.emit(chroma.Text, " ")
			x.emit(chroma.NameNamespace, target)
			x.emit(chroma.Text, " ")
			x.emit(chroma.KeywordReserved, version)
			x.emit(chroma.Text, p.nl)
			x.push(modeHTTPCHead)
			return
		}
	}
	if p, ok := cut(line, 'S'); ok {
		if version, code, rest, ok := httpStatus(p.rest); ok {
			x.head(p)
			x.emit(chroma.KeywordReserved, version)
			x.emit(chroma.Text, " ")
			x.emit(replyToken(code[0]), code)
			x.emit(chroma.Text, rest)
			x.emit(chroma.Text, p.nl)
			x.push(modeHTTPSHead)
			return
		}
	}
	if x.httpHeader(line, 'C') || x.httpHeader(line, 'S') {
		return
	}
	x.common(line)
}

// httpHeader lexes a header line "Name: value", or an obsolete folded
// continuation (a line starting with a space or tab), of kind 'C' or 'S'.
func (x *lexState) httpHeader(line string, kind byte) bool {
	p, ok := cut(line, kind)
	if !ok {
		return false
	}
	if n := runWhile(p.rest, isHTTPToken); n > 0 && strings.HasPrefix(p.rest[n:], ":") {
		x.head(p)
		x.emit(chroma.NameAttribute, p.rest[:n])
		x.emit(chroma.Punctuation, ":")
		x.emit(chroma.Text, p.rest[n+1:])
		x.emit(chroma.Text, p.nl)
		return true
	}
	if c := line[2]; c == ' ' || c == '\t' {
		x.head(prefixed{mark: p.mark})
		x.emit(chroma.Text, line[2:len(line)-1])
		x.emit(chroma.Text, p.nl)
		return true
	}
	return false
}

// isHTTPToken: a header field name character (RFC 9110 token).
func isHTTPToken(r rune) bool {
	return r < 0x80 && (isLetter(byte(r)) || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+.^_`|~-", r))
}
