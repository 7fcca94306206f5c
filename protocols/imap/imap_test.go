package imap

import (
	"errors"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols"
	"github.com/wirebook/wirebook/protocols/labtls"
)

func TestInfo(t *testing.T) {
	got := Protocol{}.Info()
	want := protocols.Info{Name: "imap", Port: 143, TLSName: "imaps", TLSPort: 993}
	if got != want {
		t.Errorf("Info() = %+v, want %+v", got, want)
	}
}

func TestSession(t *testing.T) {
	addr := fakeServer(t,
		say("* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n"),
		hear("a1 LOGIN alice alice-pw"),
		say("a1 OK Logged in\r\n"),
		hear("a2 SELECT INBOX"),
		say("* 2 EXISTS\r\n"), say("* OK [UIDVALIDITY 1700000000] UIDs valid\r\n"),
		say("a2 OK [READ-WRITE] done\r\n"),
		hear("a3 LOGOUT"),
		say("* BYE bye\r\na3 OK Logout completed\r\n"),
		hangUp(),
	)
	got, err := run(t, addr, script("a1 LOGIN alice alice-pw", "a2 SELECT INBOX", "a3 LOGOUT"), nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	diffLines(t, got, []string{
		"S: * OK [CAPABILITY IMAP4rev1 IDLE] ready",
		"C: a1 LOGIN alice alice-pw",
		"S: a1 OK Logged in",
		"C: a2 SELECT INBOX",
		"S: * 2 EXISTS",
		"S: * OK [UIDVALIDITY 1700000000] UIDs valid",
		"S: a2 OK [READ-WRITE] done",
		"C: a3 LOGOUT",
		"S: * BYE bye",
		"S: a3 OK Logout completed",
		"N: connection closed by the server",
	})
}

func TestServerLiterals(t *testing.T) {
	tests := []struct {
		name  string
		reply []step // after the client's "a1 FETCH 1 BODY[]"
		want  []string
	}{
		{
			name: "split across reads, CRLFs and a tag-like line inside",
			reply: []step{
				say("* 1 FETCH (BODY[] {31}\r\nSubj"), say("ect: x\r\n\r\na1 OK fa"), say("ke\r\nend\r\n"),
				say(")\r\n"), say("a1 OK done\r\n"),
			},
			want: []string{
				"S: * 1 FETCH (BODY[] {31}",
				"s: Subject: x",
				"s: ",
				"s: a1 OK fake",
				"s: end",
				"S: )",
				"S: a1 OK done",
			},
		},
		{
			name:  "literal without a final line end",
			reply: []step{say("* 1 FETCH (BODY[] {5}\r\nhello)\r\na1 OK done\r\n")},
			want: []string{
				"S: * 1 FETCH (BODY[] {5}",
				"s: hello)",
				"S: a1 OK done",
			},
		},
		{
			name: "two literals in one response, untagged lines around",
			reply: []step{
				say("* 3 EXISTS\r\n"),
				say("* 1 FETCH (BODY[1] {2}\r\nab BODY[2] {0}\r\n UID 7)\r\n"),
				say("* 1 RECENT\r\na1 OK done\r\n"),
			},
			want: []string{
				"S: * 3 EXISTS",
				"S: * 1 FETCH (BODY[1] {2}",
				"s: ab BODY[2] {0}",
				"S:  UID 7)",
				"S: * 1 RECENT",
				"S: a1 OK done",
			},
		},
		{
			name:  "a tagged line ending in braces is not a literal",
			reply: []step{say("a1 NO no such part {3}\r\n")},
			want:  []string{"S: a1 NO no such part {3}"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := append([]step{say("* OK hi\r\n"), hear("a1 FETCH 1 BODY[]")}, tt.reply...)
			steps = append(steps, hear("a2 NOOP"), say("a2 OK noop\r\n"))
			got, err := run(t, fakeServer(t, steps...), script("a1 FETCH 1 BODY[]", "a2 NOOP"), nil)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			want := append([]string{"S: * OK hi", "C: a1 FETCH 1 BODY[]"}, tt.want...)
			want = append(want, "C: a2 NOOP", "S: a2 OK noop", "N: connection closed by the client")
			diffLines(t, got, want)
		})
	}
}

func TestGreetingWithLiteral(t *testing.T) {
	addr := fakeServer(t, say("* OK {4}\r\n12\r\n ready\r\n"), hear("a1 NOOP"), say("a1 OK\r\n"))
	got, err := run(t, addr, script("a1 NOOP"), nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	diffLines(t, got, []string{"S: * OK {4}", "s: 12", "S:  ready", "C: a1 NOOP", "S: a1 OK", "N: connection closed by the client"})
}

func TestServerClosesMidLiteral(t *testing.T) {
	addr := fakeServer(t,
		say("* OK hi\r\n"), hear("a1 FETCH 1 BODY[]"),
		say("* 1 FETCH (BODY[] {20}\r\nabc"), hangUp())
	got, err := run(t, addr, script("a1 FETCH 1 BODY[]"), nil)
	if err == nil || !strings.Contains(err.Error(), "after 3 of the 20 bytes") {
		t.Fatalf("Run error = %v, want one about 3 of 20 literal bytes", err)
	}
	if last := got[len(got)-1]; last != "N: connection closed by the server" {
		t.Errorf("last event %q, want the close note", last)
	}
}

func TestClientLiterals(t *testing.T) {
	tests := []struct {
		name   string
		script []string
		steps  []step // after the greeting
		want   []string
	}{
		{
			name:   "synchronizing literal waits for the continuation",
			script: []string{"a1 APPEND INBOX {12}", "hello", "world", "a2 NOOP"},
			steps: []step{
				hear("a1 APPEND INBOX {12}"), say("+ Ready for literal data\r\n"),
				hear("hello"), hear("world"), say("a1 OK [APPENDUID 1 1] Append completed\r\n"),
				hear("a2 NOOP"), say("a2 OK\r\n"),
			},
			want: []string{
				"C: a1 APPEND INBOX {12}", "S: + Ready for literal data",
				"c: hello", "c: world", "S: a1 OK [APPENDUID 1 1] Append completed",
				"C: a2 NOOP", "S: a2 OK",
			},
		},
		{
			name:   "literal ending in CRLF, command ends on an empty line",
			script: []string{"a1 APPEND INBOX (\\Seen) {6}", "hi", "", "", "a2 NOOP"},
			steps: []step{
				hear("a1 APPEND INBOX (\\Seen) {6}"), say("+ OK\r\n"),
				hear("hi"), hear(""), hear(""), say("a1 OK done\r\n"),
				hear("a2 NOOP"), say("a2 OK\r\n"),
			},
			want: []string{
				"C: a1 APPEND INBOX (\\Seen) {6}", "S: + OK",
				"c: hi", "c: ", "C: ", "S: a1 OK done",
				"C: a2 NOOP", "S: a2 OK",
			},
		},
		{
			name:   "refused literal is not sent",
			script: []string{"a1 APPEND INBOX {99999}", "a2 NOOP"},
			steps: []step{
				hear("a1 APPEND INBOX {99999}"), say("a1 NO [TOOBIG] too big\r\n"),
				hear("a2 NOOP"), say("a2 OK\r\n"),
			},
			want: []string{
				"C: a1 APPEND INBOX {99999}", "S: a1 NO [TOOBIG] too big",
				"C: a2 NOOP", "S: a2 OK",
			},
		},
		{
			name:   "LITERAL+ does not wait, command text goes on after the literal",
			script: []string{"a1 APPEND INBOX {3+}", "abc {2+}", "xy", "a2 NOOP"},
			steps: []step{
				hear("a1 APPEND INBOX {3+}"), hear("abc {2+}"), hear("xy"),
				say("a1 OK two\r\n"), hear("a2 NOOP"), say("a2 OK\r\n"),
			},
			want: []string{
				"C: a1 APPEND INBOX {3+}", "c: abc {2+}", "c: xy", "S: a1 OK two",
				"C: a2 NOOP", "S: a2 OK",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fakeServer(t, append([]step{say("* OK hi\r\n")}, tt.steps...)...)
			got, err := run(t, addr, script(tt.script...), nil)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			want := append([]string{"S: * OK hi"}, tt.want...)
			diffLines(t, got, append(want, "N: connection closed by the client"))
		})
	}
}

func TestPipelinedOutOfOrder(t *testing.T) {
	addr := fakeServer(t,
		say("* OK hi\r\n"),
		hear("a1 NOOP"), hear("a2 CHECK"), hear("a3 NOOP"),
		say("* 4 EXISTS\r\na3 OK third\r\n"), say("a1 OK first\r\n"), say("* 1 RECENT\r\na2 OK second\r\n"),
		hear("a4 NOOP"), say("a4 OK\r\n"),
	)
	got, err := run(t, addr, script("a1 NOOP", "C+ a2 CHECK", "C+ a3 NOOP", "a4 NOOP"), nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	diffLines(t, got, []string{
		"S: * OK hi",
		"C: a1 NOOP", "C: a2 CHECK", "C: a3 NOOP",
		"S: * 4 EXISTS", "S: a3 OK third", "S: a1 OK first", "S: * 1 RECENT", "S: a2 OK second",
		"C: a4 NOOP", "S: a4 OK",
		"N: connection closed by the client",
	})
}

func TestIdle(t *testing.T) {
	t.Run("accepted", func(t *testing.T) {
		addr := fakeServer(t, say("* OK hi\r\n"),
			hear("a1 IDLE"), say("+ idling\r\n"), hear("DONE"), say("* 3 EXISTS\r\na1 OK Idle completed\r\n"))
		got, err := run(t, addr, script("a1 IDLE", "DONE"), nil)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		diffLines(t, got, []string{"S: * OK hi", "C: a1 IDLE", "S: + idling", "C: DONE",
			"S: * 3 EXISTS", "S: a1 OK Idle completed", "N: connection closed by the client"})
	})
	t.Run("refused", func(t *testing.T) {
		addr := fakeServer(t, say("* OK hi\r\n"),
			hear("a1 IDLE"), say("a1 BAD not now\r\n"), hear("a2 NOOP"), say("a2 OK\r\n"))
		got, err := run(t, addr, script("a1 IDLE", "DONE", "a2 NOOP"), nil)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		diffLines(t, got, []string{"S: * OK hi", "C: a1 IDLE", "S: a1 BAD not now",
			"N: DONE (line 2) not sent: the server refused IDLE",
			"C: a2 NOOP", "S: a2 OK", "N: connection closed by the client"})
	})
}

func TestAuthenticate(t *testing.T) {
	addr := fakeServer(t, say("* OK hi\r\n"),
		hear("a1 AUTHENTICATE PLAIN"), say("+ \r\n"), hear("AGFsaWNlAGFsaWNlLXB3"), say("a1 OK Logged in\r\n"))
	s := script("a1 AUTHENTICATE PLAIN", "AGFsaWNlAGFsaWNlLXB3")
	s.Remaining()[1].Display = "****"
	got, err := run(t, addr, s, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	diffLines(t, got, []string{"S: * OK hi", "C: a1 AUTHENTICATE PLAIN", "S: + ", "C: ****",
		"S: a1 OK Logged in", "N: connection closed by the client"})
}

func TestStartTLS(t *testing.T) {
	b, err := labtls.New()
	if err != nil {
		t.Fatal(err)
	}
	addr := fakeServer(t, say("* OK hi\r\n"),
		hear("a1 STARTTLS"), say("a1 OK Begin TLS negotiation now\r\n"), serveTLS(b.ServerConfig()),
		hear("a2 CAPABILITY"), say("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na2 OK done\r\n"))
	got, err := run(t, addr, script("a1 STARTTLS", "a2 CAPABILITY"), b.ClientConfig("localhost"))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(got) < 4 || !strings.HasPrefix(got[3], "N: TLS 1.3") {
		t.Fatalf("transcript %q: want a TLS note after the OK", got)
	}
	if got[5] != "S: * CAPABILITY IMAP4rev1 AUTH=PLAIN" {
		t.Errorf("after TLS got %q, want the capability line", got[5])
	}
}

func TestByeGreeting(t *testing.T) {
	t.Run("empty script", func(t *testing.T) {
		addr := fakeServer(t, say("* BYE too many connections\r\n"), hangUp())
		got, err := run(t, addr, script(), nil)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		diffLines(t, got, []string{"S: * BYE too many connections", "N: connection closed by the server"})
	})
	t.Run("lines left", func(t *testing.T) {
		addr := fakeServer(t, say("* BYE too many connections\r\n"), hangUp())
		_, err := run(t, addr, script("a1 NOOP"), nil)
		if err == nil || !strings.Contains(err.Error(), "refused the session") {
			t.Errorf("Run error = %v, want a refused session", err)
		}
	})
}

func TestProtocolErrors(t *testing.T) {
	tests := []struct {
		name  string
		reply string
		want  string
	}{
		{"garbage line", "hello there\r\n", "neither untagged"},
		{"unknown tag", "zz9 OK done\r\n", "no command in progress carries"},
		{"bad status", "a1 MAYBE done\r\n", "must say OK, NO or BAD"},
		{"continuation out of the blue", "+ go on\r\n", "unexpected continuation"},
		{"empty line", "\r\n", "neither untagged"},
		{"huge literal size", "* 1 FETCH (BODY[] {9999999999999999999999}\r\n", "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fakeServer(t, say("* OK hi\r\n"), hear("a1 NOOP"), say(tt.reply))
			_, err := run(t, addr, script("a1 NOOP"), nil)
			var pe *protocols.ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("Run error = %v, want a *protocols.ProtocolError", err)
			}
			if !strings.Contains(pe.Msg, tt.want) {
				t.Errorf("error %q, want it to mention %q", pe.Msg, tt.want)
			}
		})
	}
	t.Run("bad greeting", func(t *testing.T) {
		addr := fakeServer(t, say("a1 OK hi\r\n"))
		_, err := run(t, addr, script("a1 NOOP"), nil)
		var pe *protocols.ProtocolError
		if !errors.As(err, &pe) {
			t.Fatalf("Run error = %v, want a *protocols.ProtocolError", err)
		}
	})
}

func TestScriptErrors(t *testing.T) {
	tests := []struct {
		name   string
		script []string
		steps  []step
		want   string
	}{
		{"no tag", []string{"* NOOP"}, nil, "does not start with a tag"},
		{"tag only", []string{"a1"}, nil, "has no command"},
		{"IDLE without DONE", []string{"a1 IDLE", "a2 NOOP"}, nil, "followed by a DONE"},
		{"STARTTLS pipelined", []string{"a1 NOOP", "C+ a2 STARTTLS"}, nil, "cannot be pipelined"},
		{"tag reused in a group", []string{"a1 NOOP", "C+ a1 NOOP"}, nil, "already used"},
		{"script ends in a literal", []string{"a1 APPEND INBOX {10}", "abc"},
			[]step{hear("a1 APPEND INBOX {10}"), say("+ go\r\n")}, "ends inside a 10-byte literal"},
		{"lines after LOGOUT", []string{"a1 LOGOUT", "a2 NOOP"},
			[]step{hear("a1 LOGOUT"), say("* BYE\r\na1 OK bye\r\n"), hangUp()}, "goes on after LOGOUT"},
		{"closed while waiting", []string{"a1 NOOP"},
			[]step{hear("a1 NOOP"), say("* BYE idle too long\r\n"), hangUp()}, `it had said "* BYE idle too long"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fakeServer(t, append([]step{say("* OK hi\r\n")}, tt.steps...)...)
			_, err := run(t, addr, script(tt.script...), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
