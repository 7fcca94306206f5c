package highlight

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"

	"github.com/wirebook/wirebook/internal/coursegen"
)

func tokens(t testing.TB, l chroma.Lexer, text string) []chroma.Token {
	t.Helper()
	it, err := l.Tokenise(nil, text)
	if err != nil {
		t.Fatalf("Tokenise: %v", err)
	}
	return it.Tokens()
}

// sameTokens lexes text with the direct lexer and with the regexp rules it
// replaced and reports the first token where they differ.
func sameTokens(t testing.TB, proto, text string) {
	t.Helper()
	got, want := tokens(t, Lexer(proto), text), tokens(t, regexpLexer(proto), text)
	// The reference is chroma's regexp engine, which gives up a match after
	// 250 ms of wall time (a MatchTimeout chroma fixes) and then treats it as
	// no match: on a loaded machine under -race it can mis-lex. Its answer
	// counts only when it gives it again; ours is deterministic.
	for try := 0; try < 3 && !slices.Equal(got, want); try++ {
		want = tokens(t, regexpLexer(proto), text)
	}
	for i := range max(len(got), len(want)) {
		var g, w chroma.Token
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Fatalf("%s lexer differs from the regexp rules at token %d of %q:\n got %s %q\nwant %s %q", proto, i, text, g.Type, g.Value, w.Type, w.Value)
		}
	}
}

// sessionBlocks returns the fenced session blocks of Markdown files, by
// protocol (the word after the fence).
func sessionBlocks(t testing.TB, files ...string) map[string][]string {
	out := map[string][]string{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var proto string
		var block strings.Builder
		for _, line := range strings.Split(string(src), "\n") {
			switch {
			case proto == "" && strings.HasPrefix(line, "```") && len(line) > 3:
				proto = strings.Fields(line[3:])[0]
				block.Reset()
			case proto != "" && line == "```":
				out[proto] = append(out[proto], block.String())
				proto = ""
			case proto != "":
				block.WriteString(line + "\n")
			}
		}
	}
	return out
}

// The direct lexers give exactly the tokens of the regexp rules on every
// transcript of the course, of a generated course, and of the golden files.
func TestLexerMatchesRegexpRules(t *testing.T) {
	labs, _ := filepath.Glob("../../labs/*.md")
	dir := t.TempDir()
	if _, err := coursegen.Write(dir, coursegen.Options{Labs: 8}); err != nil {
		t.Fatal(err)
	}
	gen, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	blocks := sessionBlocks(t, append(labs, gen...)...)
	golden, _ := filepath.Glob("testdata/golden/*.txt")
	for _, g := range golden {
		proto, _, events := readGoldenInput(t, g)
		var b strings.Builder
		for _, ev := range events {
			clean, _ := neutralise(ev.Text)
			fmt.Fprintf(&b, "%s: %s\n", ev.Kind, clean)
		}
		blocks[proto] = append(blocks[proto], b.String())
	}
	n := 0
	for proto, texts := range blocks {
		for _, text := range texts {
			for _, p := range []string{proto, "transcript"} {
				sameTokens(t, p, text)
				// Each line alone, and without the final line end.
				for _, line := range strings.SplitAfter(text, "\n") {
					sameTokens(t, p, line)
					sameTokens(t, p, strings.TrimSuffix(line, "\n"))
				}
			}
			n++
		}
	}
	if n < 50 {
		t.Errorf("compared %d transcripts, want the course's, the generated and the golden ones", n)
	}
}

// Lines built to reach the corners of the grammar: the optional space
// after a prefix, Unicode digits and spaces (regexp2's \d and \s), case
// folding, literals, unterminated quotes and brackets.
var cornerLines = []string{
	"C:QUIT", "C:  QUIT", "C+ RCPT TO:<a>", "C: mail from:<a@b> size=10 BODY=8BITMIME", "C: MAIL FROM: <x",
	"C: xFROM:<a>", "C: AUTH PLAIN", "C: \tfolded", "C:\tfolded", "C: ", "C:", "S:", "S: ", "N:error x", "N:  error",
	"S: 250", "S: 250-", "S: 250-2.1.0 Ok", "S: 250 2.1.0000 x", "S: 250 2.1234.5", "S: 2٥٠ ok", "S: 6xx", "S: 354", "S: 334 ",
	"S: 2500 x", "S:250 ok", "S:  250 ok", "S: 250\u00a0x",
	"S: +OK", "S: +OKAY [AUTH] x", "S: -ERR [x", "S: +", "S: + go", "S: +x", "S: .", "S: ..", "C: RETR 1", "C: TOP 1 10x", "C: LIST ٣", "C: UIDL\u00a01",
	"S: * OK [CAPABILITY IMAP4rev1] hi", "S: * ok x", "S: * OKAY", "S: * PREAUTH", "S: * preauth x", "S: * NO", "S: * BAD x", "S: * 3 EXISTS", "S: * 3 exists x", "S: * 3", "S: * ٣ FETCH (x)",
	"S: * FLAGS (\\Seen \\*)", "S: a1 OK done", "S: a1 ok", "S: a1 OKAY", "S: A1 NO [x] y", "S: a+1 OK", "S: a1 BAD", "S: * 1 FETCH (BODY[] {5}", "S: * 1 FETCH (BODY[] {5+}",
	"C: a1 LOGIN \"al\\\"ice\" \"pw\\", "C: a2 UID FETCH 1:* (FLAGS)", "C: a2 uid fetch 1", "C: a2 UID 5", "C: a2 UIDX", "C: a3 UİD FETCH 1", "C: a3 UID FETCH 1", "S: * O\u212a", "C: MAIL FRO\u1e40:<x>", "C: a4 APPEND INBOX {3}", "C: a4 APPEND INBOX {3+}",
	"C: DONE", "C: done", "C: a5 SEARCH NIL NIL.x NILx 12 12a 12.3 12: 12- (x) [a] [b \"c {d \\e \\", "S: + idling", "S:+", "S: +  x",
	"C: GET / HTTP/1.1", "C: GET / HTTP/1", "C: GET / HTTP/1.", "C: GET  / HTTP/1.1", "C: get / HTTP/1.1", "C:GET /x HTTP/2", "C: Host: x", "C: Host:", "C: X-A_b: 1", "C: bad header",
	"S: HTTP/1.1 200 OK", "S: HTTP/1.1 2000", "S: HTTP/1.1 600 odd", "S: HTTP/2 404", "S: HTTP/1.12 200", "S: HTTP/1.1 ٢٠٠ x", "S: Content-Length: 3", "S:  folded", "S:\tx", "C: body line",
	"plain text", "", "x", "C", "S", "N:", "N: ", "K: x",
}

func TestLexerMatchesRegexpRulesInCorners(t *testing.T) {
	for _, proto := range []string{"smtp", "pop3", "imap", "http", "transcript"} {
		for _, a := range cornerLines {
			sameTokens(t, proto, a)
			sameTokens(t, proto, a+"\n")
			// In every state a line can leave the lexer in.
			for _, b := range cornerLines {
				sameTokens(t, proto, a+"\n"+b+"\n")
			}
		}
	}
	// Literals that span lines, and HTTP heads and bodies.
	sameTokens(t, "imap", "C: a1 APPEND INBOX {12}\nS: + go\nC: hello\nC: there {3}\nC: abc\nC: more\nS: a1 OK\n")
	sameTokens(t, "imap", "S: * 1 FETCH (BODY[] {4}\nS: ab\nS: ) x {2}\nS: xx\nS: a OK\n")
	sameTokens(t, "http", "C: POST / HTTP/1.1\nC: A: b\nC:  fold\nC:\nC: body\nC: GET / HTTP/1.1\nC:\nS: HTTP/1.1 200 OK\nS: A: b\nS: \nS: body\nS: HTTP/1.1 999 x\nS: x\n")
}

// FuzzLexerMatchesRegexpRules: any text, not just neutralised transcripts
// (code fences tagged smtp-transcript reach the lexers raw).
func FuzzLexerMatchesRegexpRules(f *testing.F) {
	for _, l := range cornerLines {
		f.Add("imap", l+"\n"+l)
	}
	f.Add("http", "C: GET / HTTP/1.1\nC:\nS: HTTP/1.1 200 OK\nS: \nS: body\n")
	f.Add("smtp", "S: 354 go\nC: x\nC: .\nS: 250 ok\n\xff\r\n")
	f.Fuzz(func(t *testing.T, proto, text string) {
		if !bytes.Contains([]byte("smtp pop3 imap http x"), []byte(proto)) {
			proto = "smtp"
		}
		sameTokens(t, proto, text)
	})
}
