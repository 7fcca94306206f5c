package check

import (
	"strings"
	"testing"

	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/protocols"
)

func parse(t *testing.T, src string) *lab.Lab {
	t.Helper()
	l, err := lab.Parse("t.md", []byte(src), func(p string) bool { return p == "smtp" || p == "http" || p == "imap" })
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return l
}

func ev(kind protocols.Kind, text string, src int) protocols.Event {
	return protocols.Event{Kind: kind, Text: text, Source: src}
}

// smtpRun is what a server said for the block in smtpLab.
func smtpRun(ehloExtra ...string) []protocols.Event {
	out := []protocols.Event{
		ev(protocols.Note, "connected to mail.example.com (smtp, port 25)", 0),
		ev(protocols.Server, "220 mail.example.com ESMTP wirebook lab server", 0),
		ev(protocols.Client, "EHLO client.example", 3),
		ev(protocols.Server, "250-mail.example.com", 0),
	}
	for _, e := range ehloExtra {
		out = append(out, ev(protocols.Server, e, 0))
	}
	return append(out,
		ev(protocols.Server, "250 HELP", 0),
		ev(protocols.Client, "QUIT", 4),
		ev(protocols.Server, "221 2.0.0 Bye", 0),
		ev(protocols.Note, "connection closed by the server", 0))
}

const smtpLab = "# t\n```smtp\nC: EHLO client.example\nC: QUIT\n```\n"

// bind points client events at the block's C: lines with the same text,
// in order, as a real run of that file would.
func bind(b *lab.Block, events []protocols.Event) []protocols.Event {
	out := append([]protocols.Event(nil), events...)
	next := 0
	for i := range out {
		if out[i].Kind != protocols.Client {
			continue
		}
		for next < len(b.Lines) {
			ln := b.Lines[next]
			next++
			if ln.Kind == lab.Client || ln.Kind == lab.Pipelined {
				out[i].Source = ln.Num
				break
			}
		}
	}
	return out
}

func update(t *testing.T, src string, events []protocols.Event) (string, *Comparison) {
	t.Helper()
	l := parse(t, src)
	events = bind(l.Blocks[0], events)
	c, err := Compare(l.Blocks[0], events, MasksFor("smtp", nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(Rewrite(l.Source, []*Comparison{c})), c
}

func TestUpdateFillsInAndIsStable(t *testing.T) {
	filled, c := update(t, smtpLab, smtpRun())
	if c.Written || c.Match {
		t.Errorf("a block with only C: lines: Written=%v Match=%v, want false false", c.Written, c.Match)
	}
	want := "# t\n```smtp\nN: connected to mail.example.com (smtp, port 25)\nS: 220 mail.example.com ESMTP wirebook lab server\nC: EHLO client.example\nS: 250-mail.example.com\nS: 250 HELP\nC: QUIT\nS: 221 2.0.0 Bye\nN: connection closed by the server\n```\n"
	if filled != want {
		t.Fatalf("update =\n%s\nwant\n%s", filled, want)
	}
	again, c2 := update(t, filled, smtpRun())
	if !c2.Match {
		t.Errorf("the filled-in lab does not match its own run: %v", c2.Differences())
	}
	if again != filled {
		t.Errorf("updating with an identical transcript changed bytes:\n%s", again)
	}
}

func TestMismatchToldByExchange(t *testing.T) {
	filled, _ := update(t, smtpLab, smtpRun())
	l := parse(t, filled)
	c, _ := Compare(l.Blocks[0], bind(l.Blocks[0], smtpRun("250-SMTPUTF8")), nil, nil)
	if c.Match {
		t.Fatal("a gained line matched")
	}
	diffs := strings.Join(c.Differences(), "\n")
	if !strings.Contains(diffs, "the reply to `EHLO client.example` gained `250-SMTPUTF8`") {
		t.Errorf("Differences = %q", diffs)
	}
	if got := c.FirstDifferenceLine(); got != 7 {
		t.Errorf("FirstDifferenceLine = %d, want 7", got)
	}
	if u := c.UnifiedDiff("t.md"); !strings.Contains(u, "+S: 250-SMTPUTF8") || !strings.Contains(u, " S: 250-mail.example.com") {
		t.Errorf("UnifiedDiff =\n%s", u)
	}
}

func TestWildcardsRegexAndCaptures(t *testing.T) {
	src := "```smtp\nN: ...\nS: 220 ... ESMTP ...\nC: EHLO client.example\nS: ...\nC: QUIT\nS: 221 \\d\\.0\\.0 (?P<bye>\\w+) (re)\nS: ...\n```\n"
	l := parse(t, src)
	events := bind(l.Blocks[0], smtpRun("250-PIPELINING", "250-SIZE 10240000"))
	c, err := Compare(l.Blocks[0], events, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Match {
		t.Fatalf("wildcards did not match: %v\n%s", c.Differences(), c.UnifiedDiff("t.md"))
	}
	if c.Captures["bye"] != "Bye" {
		t.Errorf("captures = %v, want bye=Bye", c.Captures)
	}
	if got := string(Rewrite(l.Source, []*Comparison{c})); got != src {
		t.Errorf("update rewrote wildcard lines that still match:\n%s", got)
	}
}

func TestCaptureMarkerAndReuse(t *testing.T) {
	p, err := CompilePattern('S', "250 2.0.0 Ok: queued as ${capture:qid}", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok, caps := p.Match("250 2.0.0 Ok: queued as 4XyZ9", nil)
	if !ok || caps["qid"] != "4XyZ9" {
		t.Fatalf("Match = %v %v", ok, caps)
	}
	later, _ := CompilePattern('S', "Received: ... id ${qid} ...", 2, caps)
	if ok, _ := later.Match("Received: from x by y id 4XyZ9 for z", nil); !ok {
		t.Errorf("a captured value did not match later")
	}
	if ok, _ := later.Match("Received: from x by y id OTHER for z", nil); ok {
		t.Errorf("another value matched a captured one")
	}
}

func TestMasks(t *testing.T) {
	tests := []struct {
		proto, written, actual string
		want                   bool
	}{
		{"http", "Date: Mon, 05 Jan 2026 09:00:00 GMT", "Date: Tue, 25 Nov 2026 19:00:00 GMT", true},
		{"http", "ETag: \"abc\"", "ETag: \"def\"", true},
		{"http", "Server: nginx/1.22.1", "Server: nginx/1.24.0", true},
		{"http", "Server: nginx/1.22.1", "Server: apache/1.22.1", false},
		{"smtp", "250 2.0.0 Ok: queued as 4dZ8", "250 2.0.0 Ok: queued as 9QQ1", true},
		{"smtp", "250 2.0.0 Ok: queued as 4dZ8", "550 2.0.0 Ok: queued as 9QQ1", false},
		{"imap", "* OK [UIDVALIDITY 1357449499] UIDs valid", "* OK [UIDVALIDITY 1700000000] UIDs valid", true},
		{"imap", "a1 OK Logged in (0.001 + 0.000 secs).", "a1 OK Logged in (0.002 + 0.000 + 0.001 secs).", true},
		{"pop3", "+OK Dovecot ready. <1896.697@mail>", "+OK Dovecot ready. <22.33@mail>", true},
		{"smtp", "220 mail ESMTP Postfix 3.7.11", "220 mail ESMTP Postfix 3.8.1", true},
		{"imap", "* OK [UIDNEXT 3] Predicted", "* OK [UIDNEXT 4] Predicted", false},
		{"pop3", "\tby mail.example.com (Postfix) with ESMTPSA id 2C2C0988048", "\tby mail.example.com (Postfix) with ESMTPSA id 1B18398830F", true},
		{"pop3", "\tid cNP4CaRKB2vlMgAAg+zDdQ", "\tid sCoZEbFKB2vlMgAAg+zDdQ", true},
		{"pop3", "\tfor <alice@example.com>; Wed, 25 Nov 2026 20:55:00 +0000 (UTC)", "\tfor <alice@example.com>; Thu, 3 Dec 2026 08:01:02 +0000 (UTC)", true},
		{"pop3", "\tfor <alice@example.com>; Wed, 25 Nov 2026 20:55:00 +0000 (UTC)", "\tfor <bob@example.com>; Thu, 3 Dec 2026 08:01:02 +0000 (UTC)", false},
	}
	for _, tt := range tests {
		p, _ := CompilePattern('S', tt.written, 1, nil)
		if got, _ := p.Match(tt.actual, MasksFor(tt.proto, nil)); got != tt.want {
			t.Errorf("%s: %q vs %q = %v, want %v", tt.proto, tt.written, tt.actual, got, tt.want)
		}
	}
	p, _ := CompilePattern('S', "* OK [UIDNEXT 3] Predicted", 1, nil)
	if ok, _ := p.Match("* OK [UIDNEXT 4] Predicted", MasksFor("imap", []string{"uidnext"})); !ok {
		t.Errorf("the optional uidnext mask did not apply")
	}
}

func TestRewriteKeepsCRLFTabsAndNoFinalNewline(t *testing.T) {
	cases := []string{
		strings.ReplaceAll(smtpLab, "\n", "\r\n"),
		"> ```smtp\n> C: EHLO client.example\n> C: QUIT\n> ```\n",
		"````markdown\n```smtp\nC: not a block\n```\n````\n\n```smtp\nC: EHLO client.example\n\nC: QUIT",
		"```smtp\nC: EHLO client.example\t\nC: QUIT\n```",
	}
	for _, src := range cases {
		l := parse(t, src)
		b := l.Blocks[len(l.Blocks)-1]
		c, _ := Compare(b, bind(b, smtpRun()), nil, nil)
		out := string(Rewrite(l.Source, []*Comparison{c}))
		// Everything outside the block body is unchanged.
		if !strings.HasPrefix(out, src[:b.BodyStart]) || !strings.HasSuffix(out, src[b.BodyEnd:]) {
			t.Errorf("bytes outside the block changed:\n%q\n->\n%q", src, out)
		}
		for _, ln := range b.Lines {
			if ln.Kind == lab.Client && !strings.Contains(out, src[ln.Start:ln.End]) {
				t.Errorf("client line %q not kept byte for byte in %q", src[ln.Start:ln.End], out)
			}
		}
		if strings.Contains(src, "\r\n") && strings.Count(out, "\n") != strings.Count(out, "\r\n") {
			t.Errorf("CRLF file got LF lines: %q", out)
		}
		if strings.HasPrefix(src, ">") && !strings.Contains(out, "> S: 220") {
			t.Errorf("block quote prefix not used for new lines: %q", out)
		}
		// And it is stable.
		l2 := parse(t, out)
		b2 := l2.Blocks[len(l2.Blocks)-1]
		c2, _ := Compare(b2, bind(b2, smtpRun()), nil, nil)
		if !c2.Match {
			t.Errorf("rewritten block does not match its own run: %v\n%q", c2.Differences(), out)
		}
	}
}

func TestEscape(t *testing.T) {
	if got := Escape("a\x1b[31mb\tc"); got != `a\x1b[31mb	c` {
		t.Errorf("Escape = %q", got)
	}
}

// FuzzUpdateIsStable: a block compared with exactly what it says must match,
// and rewriting it must not change a byte of the file.
func FuzzUpdateIsStable(f *testing.F) {
	f.Add(smtpLab)
	f.Add("```smtp\nS: 220 hi\nC: EHLO x\nS: 250 ok\n\nN: closed\n```\n")
	f.Add("> ```smtp\r\n> C: QUIT\r\n> S: 221 bye")
	f.Fuzz(func(t *testing.T, src string) {
		l, err := lab.Parse("f.md", []byte(src), func(p string) bool { return p == "smtp" })
		if err != nil {
			return
		}
		var comps []*Comparison
		for _, b := range l.Blocks {
			var events []protocols.Event
			for _, ln := range b.Lines {
				switch ln.Kind {
				case lab.Client, lab.Pipelined:
					events = append(events, protocols.Event{Kind: protocols.Client, Text: ln.Text, Source: ln.Num})
				case lab.Server:
					events = append(events, protocols.Event{Kind: protocols.Server, Text: ln.Text})
				case lab.Note:
					events = append(events, protocols.Event{Kind: protocols.Note, Text: ln.Text})
				}
			}
			c, err := Compare(b, events, MasksFor("smtp", nil), nil)
			if err != nil {
				return // a bad (re) line: a lab error, not a crash
			}
			if hasPatterns(b) {
				continue
			}
			if !c.Match {
				t.Fatalf("a block does not match its own lines: %v", c.Differences())
			}
			comps = append(comps, c)
		}
		if got := string(Rewrite(l.Source, comps)); got != src {
			t.Fatalf("rewrite changed bytes:\n%q\n->\n%q", src, got)
		}
	})
}

// hasPatterns reports lines whose text is a pattern, not a literal.
func hasPatterns(b *lab.Block) bool {
	for _, ln := range b.Lines {
		if (ln.Kind == lab.Server || ln.Kind == lab.Note) && (strings.Contains(ln.Text, "...") || strings.Contains(ln.Text, "${") || strings.HasSuffix(ln.Text, " (re)")) {
			return true
		}
	}
	return false
}

func TestFirstToEscapeFindsTheFirstByte(t *testing.T) {
	for n := 0; n < 40; n++ {
		for _, c := range []byte{0, 1, '\t', '\n', '\r', 0x1f, ' ', 'a', 0x7e, 0x7f, 0x80, 0xa0, 0xff} {
			for at := 0; at < n; at++ {
				b := []byte(strings.Repeat("x\xc3\xa9\t~", 10)[:n])
				b[at] = c
				want := -1
				for i := range b {
					if needsEscape(b[i]) {
						want = i
						break
					}
				}
				if got := firstToEscape(string(b)); got != want {
					t.Fatalf("firstToEscape(%q) = %d, want %d", b, got, want)
				}
			}
		}
	}
}
