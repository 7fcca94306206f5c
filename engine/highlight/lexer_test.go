package highlight

import (
	"fmt"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
)

// marked lexes text and returns its tokens other than plain text, as
// "Type:value" strings, which is what a reader sees coloured.
func marked(t *testing.T, proto, text string) []string {
	t.Helper()
	it, err := Lexer(proto).Tokenise(nil, text)
	if err != nil {
		t.Fatalf("Tokenise(%q): %v", text, err)
	}
	var out []string
	for tok := it(); tok != chroma.EOF; tok = it() {
		if tok.Type == chroma.Text || strings.TrimSpace(tok.Value) == "" {
			continue
		}
		out = append(out, fmt.Sprintf("%s:%s", tok.Type, tok.Value))
	}
	return out
}

func TestLexerTokens(t *testing.T) {
	tests := []struct {
		name, proto, text string
		want              []string
	}{
		{"smtp greeting", "smtp", "S: 220 mail.example.com ESMTP",
			[]string{"GenericOutput:S:", "GenericInserted:220"}},
		{"smtp continuation line", "smtp", "S: 250-PIPELINING",
			[]string{"GenericOutput:S:", "GenericInserted:250", "Punctuation:-"}},
		{"smtp enhanced code", "smtps", "S: 250 2.1.0 Ok",
			[]string{"GenericOutput:S:", "GenericInserted:250", "LiteralNumber:2.1.0"}},
		{"smtp 354", "smtp", "S: 354 End data with <CR><LF>.<CR><LF>",
			[]string{"GenericOutput:S:", "GenericSubheading:354"}},
		{"smtp 4xx", "smtp", "S: 451 4.3.0 try later",
			[]string{"GenericOutput:S:", "GenericTraceback:451", "LiteralNumber:4.3.0"}},
		{"smtp 5xx", "smtp", "S: 550 5.1.1 no such user",
			[]string{"GenericOutput:S:", "GenericError:550", "LiteralNumber:5.1.1"}},
		{"smtp mail from", "smtp", "C: MAIL FROM:<alice@example.com> SIZE=12",
			[]string{"GenericPrompt:C:", "Keyword:MAIL", "NameAttribute:FROM", "Punctuation::", "LiteralString:<alice@example.com>", "NameAttribute:SIZE", "Operator:="}},
		{"smtp pipelined rcpt", "smtp", "C+ RCPT TO:<bob@example.com>",
			[]string{"GenericPrompt:C+", "Keyword:RCPT", "NameAttribute:TO", "Punctuation::", "LiteralString:<bob@example.com>"}},
		{"smtp lowercase verb", "smtp", "C: ehlo client",
			[]string{"GenericPrompt:C:", "Keyword:ehlo"}},
		{"smtp data body is text", "smtp", "S: 354 go ahead\nC: MAIL FROM: not a command\nC: .\nS: 250 ok",
			[]string{"GenericOutput:S:", "GenericSubheading:354", "GenericPrompt:C:", "GenericPrompt:C:", "Punctuation:.", "GenericOutput:S:", "GenericInserted:250"}},
		{"smtp sasl line after 334", "smtp", "S: 334 VXNlcm5hbWU6\nC: YWxpY2U=\nC: QUIT",
			[]string{"GenericOutput:S:", "GenericSubheading:334", "GenericPrompt:C:", "GenericPrompt:C:", "Keyword:QUIT"}},
		{"note", "smtp", "N: connected to mail (smtp, port 25)",
			[]string{"CommentPreproc:N:", "Comment:connected to mail (smtp, port 25)"}},
		{"error note", "smtp", "N: error: read: connection reset",
			[]string{"CommentPreproc:N:", "GenericError:error: read: connection reset"}},
		{"tls note", "imaps", "N: TLS 1.3, TLS_AES_128_GCM_SHA256, certificate CN=mail, verified",
			[]string{"CommentPreproc:N:", "Comment:TLS 1.3, TLS_AES_128_GCM_SHA256, certificate CN=mail, verified"}},

		{"pop3 ok", "pop3", "S: +OK Dovecot ready.",
			[]string{"GenericOutput:S:", "GenericInserted:+OK"}},
		{"pop3 err with code", "pop3s", "S: -ERR [AUTH] Authentication failed.",
			[]string{"GenericOutput:S:", "GenericError:-ERR", "NameAttribute:[AUTH]"}},
		{"pop3 retr", "pop3", "C: RETR 1",
			[]string{"GenericPrompt:C:", "Keyword:RETR", "LiteralNumber:1"}},
		{"pop3 user", "pop3", "C: USER alice",
			[]string{"GenericPrompt:C:", "Keyword:USER"}},
		{"pop3 multiline end", "pop3", "S: 1 120\nS: .",
			[]string{"GenericOutput:S:", "GenericOutput:S:", "Punctuation:."}},

		{"imap command", "imap", `C: a1 LOGIN alice "alice pw"`,
			[]string{"GenericPrompt:C:", "NameLabel:a1", "Keyword:LOGIN", `LiteralString:"alice pw"`}},
		{"imap uid command", "imap", "C: a2 UID FETCH 1:* (FLAGS)",
			[]string{"GenericPrompt:C:", "NameLabel:a2", "Keyword:UID FETCH", "Punctuation:(", "Punctuation:)"}},
		{"imap tagged ok", "imap", "S: a1 OK [READ-WRITE] Select completed.",
			[]string{"GenericOutput:S:", "NameLabel:a1", "GenericInserted:OK", "NameAttribute:[READ-WRITE]"}},
		{"imap tagged no", "imap", "S: a2 NO [AUTHENTICATIONFAILED] Authentication failed.",
			[]string{"GenericOutput:S:", "NameLabel:a2", "GenericTraceback:NO", "NameAttribute:[AUTHENTICATIONFAILED]"}},
		{"imap tagged bad", "imap", "S: a3 BAD Error in IMAP command",
			[]string{"GenericOutput:S:", "NameLabel:a3", "GenericError:BAD"}},
		{"imap untagged ok", "imap", "S: * OK Dovecot ready.",
			[]string{"GenericOutput:S:", "NameTag:*", "GenericInserted:OK"}},
		{"imap untagged data", "imap", `S: * 4 EXISTS`,
			[]string{"GenericOutput:S:", "NameTag:*", "LiteralNumber:4", "Keyword:EXISTS"}},
		{"imap flags", "imap", `S: * FLAGS (\Seen \*)`,
			[]string{"GenericOutput:S:", "NameTag:*", "Keyword:FLAGS", "Punctuation:(", `NameBuiltin:\Seen`, `NameBuiltin:\*`, "Punctuation:)"}},
		{"imap continuation", "imap", "S: + idling",
			[]string{"GenericOutput:S:", "GenericSubheading:+"}},
		{"imap idle done", "imap", "C: a4 IDLE\nS: + idling\nC: DONE",
			[]string{"GenericPrompt:C:", "NameLabel:a4", "Keyword:IDLE", "GenericOutput:S:", "GenericSubheading:+", "GenericPrompt:C:", "Keyword:DONE"}},
		{"imap server literal is counted", "imap", "S: * 1 FETCH (BODY[] {12}\nS: a9 OK body\nS: )\nS: a9 OK done",
			[]string{"GenericOutput:S:", "NameTag:*", "LiteralNumber:1", "Keyword:FETCH", "Punctuation:(", "NameAttribute:[]", "LiteralNumber:{12}",
				"GenericOutput:S:", "GenericOutput:S:", "Punctuation:)", "GenericOutput:S:", "NameLabel:a9", "GenericInserted:OK"}},
		{"imap client literal waits for +", "imap", "C: a1 LOGIN {5}\nS: + ok\nC: alice secret\nS: a1 OK",
			[]string{"GenericPrompt:C:", "NameLabel:a1", "Keyword:LOGIN", "LiteralNumber:{5}", "GenericOutput:S:", "GenericSubheading:+",
				"GenericPrompt:C:", "GenericOutput:S:", "NameLabel:a1", "GenericInserted:OK"}},

		{"http request line", "http", "C: GET /index.html HTTP/1.1",
			[]string{"GenericPrompt:C:", "Keyword:GET", "NameNamespace:/index.html", "KeywordReserved:HTTP/1.1"}},
		{"http client header", "https", "C: GET / HTTP/1.1\nC: Host: example.com",
			[]string{"GenericPrompt:C:", "Keyword:GET", "NameNamespace:/", "KeywordReserved:HTTP/1.1", "GenericPrompt:C:", "NameAttribute:Host", "Punctuation::"}},
		{"http 200", "http", "S: HTTP/1.1 200 OK",
			[]string{"GenericOutput:S:", "KeywordReserved:HTTP/1.1", "GenericInserted:200"}},
		{"http 301", "http", "S: HTTP/1.1 301 Moved Permanently",
			[]string{"GenericOutput:S:", "KeywordReserved:HTTP/1.1", "GenericSubheading:301"}},
		{"http 404", "http", "S: HTTP/1.0 404 Not Found",
			[]string{"GenericOutput:S:", "KeywordReserved:HTTP/1.0", "GenericTraceback:404"}},
		{"http 503", "http", "S: HTTP/1.1 503 Service Unavailable",
			[]string{"GenericOutput:S:", "KeywordReserved:HTTP/1.1", "GenericError:503"}},
		{"http body is not headers", "http", "S: HTTP/1.1 200 OK\nS: Content-Type: text/plain\nS: \nS: note: this is body",
			[]string{"GenericOutput:S:", "KeywordReserved:HTTP/1.1", "GenericInserted:200", "GenericOutput:S:", "NameAttribute:Content-Type", "Punctuation::",
				"GenericOutput:S:", "GenericOutput:S:"}},
		{"http keep-alive request after body", "http", "S: HTTP/1.1 200 OK\nS: \nS: hello\nC: HEAD / HTTP/1.1\nC: Host: x",
			[]string{"GenericOutput:S:", "KeywordReserved:HTTP/1.1", "GenericInserted:200", "GenericOutput:S:", "GenericOutput:S:",
				"GenericPrompt:C:", "Keyword:HEAD", "NameNamespace:/", "KeywordReserved:HTTP/1.1", "GenericPrompt:C:", "NameAttribute:Host", "Punctuation::"}},

		{"unknown protocol marks prefixes", "gopher", "C: hello\nS: 200 world",
			[]string{"GenericPrompt:C:", "GenericOutput:S:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := marked(t, tt.proto, tt.text)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Lexer(%q) on %q:\n got %q\nwant %q", tt.proto, tt.text, got, tt.want)
			}
		})
	}
}

// The lexer must account for every byte: what it emits, joined, is what it
// was given (with the line end it adds).
func TestLexerCoversInput(t *testing.T) {
	text := "S: 220 hi\nC: EHLO x\nS: 250-a\nS: 250 b\nC: DATA\nS: 354 go\nC: body <b>\nC: .\nS: 250 ok\nN: error: boom\ngarbage line\n"
	for _, proto := range []string{"smtp", "pop3", "imap", "http", ""} {
		t.Run(proto, func(t *testing.T) {
			if got := joined(t, proto, text); got != text {
				t.Errorf("tokens joined = %q, want %q", got, text)
			}
		})
	}
}

func joined(t testing.TB, proto, text string) string {
	t.Helper()
	it, err := Lexer(proto).Tokenise(nil, text)
	if err != nil {
		t.Fatalf("Tokenise: %v", err)
	}
	var b strings.Builder
	for tok := it(); tok != chroma.EOF; tok = it() {
		b.WriteString(tok.Value)
	}
	return b.String()
}

func TestLexerNamesAndCache(t *testing.T) {
	if Lexer("smtp") != Lexer("SMTPS") {
		t.Errorf("Lexer(smtp) and Lexer(SMTPS) differ, want the one cached lexer")
	}
	if got := Lexer("whatever").Config().Name; got != "wirebook-transcript" {
		t.Errorf("Lexer(whatever) name = %q, want wirebook-transcript", got)
	}
	for _, alias := range []string{"transcript", "imap-transcript", "https-transcript"} {
		if lexerByAlias(alias) == nil {
			t.Errorf("lexerByAlias(%q) = nil, want a transcript lexer", alias)
		}
	}
}

func TestTrailingLiteral(t *testing.T) {
	tests := []struct {
		line string
		want int
	}{
		{"* 1 FETCH (BODY[] {650}\n", 650},
		{"a1 LOGIN {5+}", 5},
		{"a1 LOGIN {}", 0},
		{"a1 LOGIN {x}", 0},
		{"no literal", 0},
		{"{99999999999999999999}", 0},
	}
	for _, tt := range tests {
		if got := trailingLiteral(tt.line); got != tt.want {
			t.Errorf("trailingLiteral(%q) = %d, want %d", tt.line, got, tt.want)
		}
	}
}

func FuzzLexer(f *testing.F) {
	f.Add("smtp", "S: 220 hi\nC: DATA\nS: 354 go\nC: x\nC: .\n")
	f.Add("imap", "S: * 1 FETCH (BODY[] {3}\nS: abc)\nS: a OK\n")
	f.Add("http", "C: GET / HTTP/1.1\nC: \nS: HTTP/1.1 200 OK\nS: \nS: body\n")
	f.Add("pop3", "S: +OK\nS: .\nC+ QUIT\n")
	f.Fuzz(func(t *testing.T, proto, text string) {
		if !validText(text) {
			t.Skip() // the lexer sees neutralised text only
		}
		// The lexer may add the final line end.
		if got := joined(t, proto, text); got != text && got != text+"\n" {
			t.Errorf("Lexer(%q) tokens joined = %q, want %q", proto, got, text)
		}
	})
}

// validText is text as Transcript hands it to a lexer: valid UTF-8
// without carriage returns.
func validText(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		if clean, _ := neutralise(line); clean != line {
			return false
		}
	}
	return true
}
