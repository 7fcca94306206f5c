package highlight

import (
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
