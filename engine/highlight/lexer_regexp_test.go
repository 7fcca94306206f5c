package highlight

// The regexp rule tables the transcript lexers were before lexer.go: kept
// here as the reference that the direct lexers must agree with, token for
// token (TestLexerMatchesRegexpRules, FuzzLexerMatchesRegexpRules).

import (
	"sync"

	"github.com/alecthomas/chroma/v2"
)

var regexpLexers = map[string]func() chroma.Lexer{
	"":     newRegexpLexer("wirebook-transcript", []string{"transcript", "wirebook"}, genericRules),
	"smtp": newRegexpLexer("wirebook-transcript-smtp", []string{"smtp-transcript", "smtps-transcript"}, smtpRules),
	"pop3": newRegexpLexer("wirebook-transcript-pop3", []string{"pop3-transcript", "pop3s-transcript"}, pop3Rules),
	"imap": newRegexpLexer("wirebook-transcript-imap", []string{"imap-transcript", "imaps-transcript"}, imapRules),
	"http": newRegexpLexer("wirebook-transcript-http", []string{"http-transcript", "https-transcript"}, httpRules),
}

func regexpLexer(proto string) chroma.Lexer {
	if f, ok := regexpLexers[baseProto(proto)]; ok {
		return f()
	}
	return regexpLexers[""]()
}

func newRegexpLexer(name string, aliases []string, rules func() chroma.Rules) func() chroma.Lexer {
	return sync.OnceValue(func() chroma.Lexer {
		return chroma.Coalesce(chroma.MustNewLexer(&chroma.Config{
			Name:     name,
			Aliases:  aliases,
			EnsureNL: true,
		}, rules))
	})
}

// Line prefixes, each two groups: the marker and the space after it.
const (
	cPre = `(C[:+])( ?)`
	sPre = `(S:)( ?)`
	nPre = `(N:)( ?)`
)

// Emitters for the two prefix groups.
var (
	cTok = []chroma.Emitter{chroma.GenericPrompt, chroma.Text}
	sTok = []chroma.Emitter{chroma.GenericOutput, chroma.Text}
)

// rule builds a rule from a prefix's emitters and the emitters of the
// rest of the pattern.
func rule(pattern string, prefix []chroma.Emitter, rest []chroma.Emitter, m chroma.Mutator) chroma.Rule {
	em := append(append([]chroma.Emitter{}, prefix...), rest...)
	return chroma.Rule{Pattern: pattern, Type: chroma.ByGroups(em...), Mutator: m}
}

func em(e ...chroma.Emitter) []chroma.Emitter { return e }

// replyClass lists reply classes by leading digit, with the token type
// that colours them.
var replyClass = []struct {
	digit string
	tok   chroma.TokenType
}{
	{"1", chroma.GenericSubheading},
	{"2", chroma.GenericInserted},
	{"3", chroma.GenericSubheading},
	{"4", chroma.GenericTraceback},
	{"5", chroma.GenericError},
}

// commonStates are shared by every variant: notes, a fallback for any
// client or server line, and "cont", the line after a go-ahead ("334",
// "+"), which is data (SASL, a literal) rather than a command.
func commonStates() chroma.Rules {
	return chroma.Rules{
		"common": {
			rule(nPre+`(error[^\n]*)(\n)`, em(chroma.CommentPreproc, chroma.Text), em(chroma.GenericError, chroma.Text), nil),
			rule(nPre+`([^\n]*)(\n)`, em(chroma.CommentPreproc, chroma.Text), em(chroma.Comment, chroma.Text), nil),
			rule(cPre+`([^\n]*)(\n)`, cTok, em(chroma.Text, chroma.Text), nil),
			rule(sPre+`([^\n]*)(\n)`, sTok, em(chroma.Text, chroma.Text), nil),
			{Pattern: `[^\n]*\n`, Type: chroma.Text},
		},
		"cont": {
			rule(cPre+`(DONE)(\n)`, cTok, em(chroma.Keyword, chroma.Text), chroma.Pop(1)),
			rule(cPre+`([^\n]*)(\n)`, cTok, em(chroma.Text, chroma.Text), chroma.Pop(1)),
			chroma.Default(chroma.Pop(1)),
		},
	}
}

func withCommon(r chroma.Rules) chroma.Rules {
	for k, v := range commonStates() {
		r[k] = v
	}
	return r
}

func genericRules() chroma.Rules {
	return withCommon(chroma.Rules{"root": {chroma.Include("common")}})
}

func smtpRules() chroma.Rules {
	root := []chroma.Rule{
		rule(cPre+`([A-Za-z][A-Za-z0-9]*)([^\n]*)(\n)`, cTok, em(chroma.Keyword, chroma.UsingSelf("smtp-args"), chroma.Text), nil),
	}
	// The code, its "-" or " ", an optional enhanced status code, the text.
	reply := func(code string, tok chroma.TokenType, m chroma.Mutator) chroma.Rule {
		return rule(sPre+`(`+code+`)(-|(?= |\n))( ?)(\d\.\d{1,3}\.\d{1,3}(?= |\n))?([^\n]*)(\n)`, sTok,
			em(tok, chroma.Punctuation, chroma.Text, chroma.LiteralNumber, chroma.Text, chroma.Text), m)
	}
	root = append(root,
		reply(`354`, chroma.GenericSubheading, chroma.Push("smtp-data")),
		reply(`334`, chroma.GenericSubheading, chroma.Push("cont")),
	)
	for _, c := range replyClass {
		root = append(root, reply(c.digit+`\d\d`, c.tok, nil))
	}
	root = append(root, chroma.Include("common"))
	return withCommon(chroma.Rules{
		"root": root,
		"smtp-args": {
			{Pattern: `(?i)(FROM|TO)(:)`, Type: chroma.ByGroups(chroma.NameAttribute, chroma.Punctuation)},
			{Pattern: `<[^>\n]*>`, Type: chroma.LiteralString},
			{Pattern: `[A-Za-z][A-Za-z0-9-]*(?==)`, Type: chroma.NameAttribute},
			{Pattern: `=`, Type: chroma.Operator},
			{Pattern: `\s+`, Type: chroma.Text},
			{Pattern: `[^\s<=]+`, Type: chroma.Text},
			{Pattern: `.`, Type: chroma.Text},
		},
		// Between 354 and the lone dot the client sends the message.
		"smtp-data": {
			rule(cPre+`(\.)(\n)`, cTok, em(chroma.Punctuation, chroma.Text), chroma.Pop(1)),
			rule(cPre+`([^\n]*)(\n)`, cTok, em(chroma.Text, chroma.Text), nil),
			chroma.Default(chroma.Pop(1)),
		},
	})
}

func pop3Rules() chroma.Rules {
	return withCommon(chroma.Rules{
		"root": {
			rule(cPre+`([A-Za-z]+)([^\n]*)(\n)`, cTok, em(chroma.Keyword, chroma.UsingSelf("pop3-args"), chroma.Text), nil),
			rule(sPre+`(\+OK)([^\n]*)(\n)`, sTok, em(chroma.GenericInserted, chroma.UsingSelf("pop3-text"), chroma.Text), nil),
			rule(sPre+`(-ERR)([^\n]*)(\n)`, sTok, em(chroma.GenericError, chroma.UsingSelf("pop3-text"), chroma.Text), nil),
			rule(sPre+`(\+)((?: [^\n]*)?)(\n)`, sTok, em(chroma.GenericSubheading, chroma.Text, chroma.Text), chroma.Push("cont")),
			rule(sPre+`(\.)(\n)`, sTok, em(chroma.Punctuation, chroma.Text), nil),
			chroma.Include("common"),
		},
		"pop3-args": {
			{Pattern: `\d+(?=\s|$)`, Type: chroma.LiteralNumber},
			{Pattern: `\s+`, Type: chroma.Text},
			{Pattern: `\S+`, Type: chroma.Text},
		},
		"pop3-text": {
			{Pattern: `\[[^\]\n]*\]`, Type: chroma.NameAttribute},
			{Pattern: `[^\[]+`, Type: chroma.Text},
			{Pattern: `\[`, Type: chroma.Text},
		},
	})
}

// imapTag is what a tag may contain: an atom without "+".
const imapTag = `([^\s(){%*"\\\]+]+)`

func imapRules() chroma.Rules {
	data := chroma.UsingSelf("imap-data")
	litS := pushLiteral("imap-lit-s")
	server := []chroma.Rule{
		rule(sPre+`(\*)( )((?i:OK|PREAUTH)(?=[ \n]))([^\n]*)(\n)`, sTok, em(chroma.NameTag, chroma.Text, chroma.GenericInserted, data, chroma.Text), litS),
		rule(sPre+`(\*)( )((?i:NO)(?=[ \n]))([^\n]*)(\n)`, sTok, em(chroma.NameTag, chroma.Text, chroma.GenericTraceback, data, chroma.Text), litS),
		rule(sPre+`(\*)( )((?i:BAD)(?=[ \n]))([^\n]*)(\n)`, sTok, em(chroma.NameTag, chroma.Text, chroma.GenericError, data, chroma.Text), litS),
		rule(sPre+`(\*)( )(\d+)( )([A-Za-z]+)([^\n]*)(\n)`, sTok, em(chroma.NameTag, chroma.Text, chroma.LiteralNumber, chroma.Text, chroma.Keyword, data, chroma.Text), litS),
		rule(sPre+`(\*)( )([A-Za-z]+)([^\n]*)(\n)`, sTok, em(chroma.NameTag, chroma.Text, chroma.Keyword, data, chroma.Text), litS),
		rule(sPre+imapTag+`( )((?i:OK)(?=[ \n]))([^\n]*)(\n)`, sTok, em(chroma.NameLabel, chroma.Text, chroma.GenericInserted, data, chroma.Text), litS),
		rule(sPre+imapTag+`( )((?i:NO)(?=[ \n]))([^\n]*)(\n)`, sTok, em(chroma.NameLabel, chroma.Text, chroma.GenericTraceback, data, chroma.Text), litS),
		rule(sPre+imapTag+`( )((?i:BAD)(?=[ \n]))([^\n]*)(\n)`, sTok, em(chroma.NameLabel, chroma.Text, chroma.GenericError, data, chroma.Text), litS),
		// The rest of a response after a literal, which may announce another.
		rule(sPre+`([^\n]*)(\n)`, sTok, em(data, chroma.Text), litS),
	}
	plus := sPre + `(\+)( ?)([^\n]*)(\n)`
	plusTok := em(chroma.GenericSubheading, chroma.Text, chroma.Text, chroma.Text)
	root := []chroma.Rule{
		rule(cPre+`([A-Za-z]+)(\n)`, cTok, em(chroma.Keyword, chroma.Text), nil),
		rule(cPre+imapTag+`( )((?i:UID )?[A-Za-z]+)([^\n]*)(\n)`, cTok,
			em(chroma.NameLabel, chroma.Text, chroma.Keyword, data, chroma.Text), pushLiteral("imap-lit-c")),
		rule(plus, sTok, plusTok, chroma.Push("cont")),
	}
	root = append(root, server...)
	root = append(root, chroma.Include("common"))
	return withCommon(chroma.Rules{
		"root": root,
		"imap-data": {
			{Pattern: `\[[^\]\n]*\]`, Type: chroma.NameAttribute},
			{Pattern: `"(?:[^"\\\n]|\\.)*"`, Type: chroma.LiteralString},
			{Pattern: `\{\d+\+?\}`, Type: chroma.LiteralNumber},
			{Pattern: `\\(?:[A-Za-z]+|\*)`, Type: chroma.NameBuiltin},
			{Pattern: `NIL(?![\w.-])`, Type: chroma.KeywordConstant},
			{Pattern: `\d+(?![\w.:-])`, Type: chroma.LiteralNumber},
			{Pattern: `[()]`, Type: chroma.Punctuation},
			{Pattern: `\s+`, Type: chroma.Text},
			{Pattern: `[^\s()\[\]"{\\]+`, Type: chroma.Text},
			{Pattern: `.`, Type: chroma.Text},
		},
		// Literal bytes from the server: counted, not parsed.
		"imap-lit-s": {
			rule(sPre+`([^\n]*)(\n)`, sTok, em(chroma.Text, chroma.Text), countLiteral("imap-lit-s")),
			chroma.Default(chroma.Pop(1)),
		},
		// A client literal; a synchronising one waits for the server's "+".
		"imap-lit-c": {
			rule(cPre+`([^\n]*)(\n)`, cTok, em(chroma.Text, chroma.Text), countLiteral("imap-lit-c")),
			rule(plus, sTok, plusTok, nil),
			chroma.Default(chroma.Pop(1)),
		},
	})
}

// pushLiteral enters the literal state named key when the line just
// matched ends with a literal announcement "{N}" (or "{N+}").
func pushLiteral(key string) chroma.Mutator {
	return chroma.MutatorFunc(func(st *chroma.LexerState) error {
		if n := trailingLiteral(st.Groups[0]); n > 0 {
			st.Set(key, n)
			st.Stack = append(st.Stack, key)
		}
		return nil
	})
}

// countLiteral consumes one line of a literal (its bytes plus CRLF) and
// leaves the literal state when the announced size is used up, unless the
// line announces the next literal.
func countLiteral(key string) chroma.Mutator {
	return chroma.MutatorFunc(func(st *chroma.LexerState) error {
		rem, _ := st.Get(key).(int)
		rem -= len(st.Groups[3]) + 2
		if rem > 0 {
			st.Set(key, rem)
			return nil
		}
		if n := trailingLiteral(st.Groups[0]); n > 0 {
			st.Set(key, n)
			return nil
		}
		if len(st.Stack) > 1 {
			st.Stack = st.Stack[:len(st.Stack)-1]
		}
		return nil
	})
}

// httpToken is a header field name (RFC 9110 token).
const httpToken = "([!#$%&'*+.^_`|~0-9A-Za-z-]+)"

func httpRules() chroma.Rules {
	request := cPre + `([A-Z]+)( )([^ \n]+)( )(HTTP/\d(?:\.\d)?)(\n)`
	requestTok := em(chroma.Keyword, chroma.Text, chroma.NameNamespace, chroma.Text, chroma.KeywordReserved, chroma.Text)
	status := `(HTTP/\d(?:\.\d)?)( )(`
	root := []chroma.Rule{rule(request, cTok, requestTok, chroma.Push("http-c-head"))}
	for _, c := range replyClass {
		root = append(root, rule(sPre+status+c.digit+`\d\d)([^\n]*)(\n)`, sTok,
			em(chroma.KeywordReserved, chroma.Text, c.tok, chroma.Text, chroma.Text), chroma.Push("http-s-head")))
	}
	root = append(root, chroma.Include("http-c-header"), chroma.Include("http-s-header"), chroma.Include("common"))

	header := func(pre string, tok []chroma.Emitter) []chroma.Rule {
		return []chroma.Rule{
			rule(pre+httpToken+`(:)([^\n]*)(\n)`, tok, em(chroma.NameAttribute, chroma.Punctuation, chroma.Text, chroma.Text), nil),
			// An obsolete folded continuation of the previous header.
			rule(pre+`([ \t][^\n]*)(\n)`, tok, em(chroma.Text, chroma.Text), nil),
		}
	}
	head := func(pre, hdr, body string, tok []chroma.Emitter) []chroma.Rule {
		return []chroma.Rule{
			rule(pre+`(\n)`, tok, em(chroma.Text), chroma.Mutators(chroma.Pop(1), chroma.Push(body))),
			chroma.Include(hdr),
			chroma.Default(chroma.Pop(1)),
		}
	}
	body := func(pre, next string, tok []chroma.Emitter) []chroma.Rule {
		return []chroma.Rule{
			// A new request or response ends a body the lexer cannot size.
			{Pattern: `(?=` + next + `)`, Mutator: chroma.Pop(1)},
			rule(pre+`([^\n]*)(\n)`, tok, em(chroma.Text, chroma.Text), nil),
			chroma.Default(chroma.Pop(1)),
		}
	}
	return withCommon(chroma.Rules{
		"root":          root,
		"http-c-header": header(cPre, cTok),
		"http-s-header": header(sPre, sTok),
		"http-c-head":   head(cPre, "http-c-header", "http-c-body", cTok),
		"http-s-head":   head(sPre, "http-s-header", "http-s-body", sTok),
		"http-c-body":   body(cPre, `C[:+] ?[A-Z]+ [^ \n]+ HTTP/\d(?:\.\d)?\n`, cTok),
		"http-s-body":   body(sPre, `S: ?HTTP/\d(?:\.\d)? \d{3}`, sTok),
	})
}
