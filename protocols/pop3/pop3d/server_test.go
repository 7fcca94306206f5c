package pop3d

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols/mailstore"
)

// step is one command and every line the server must answer, in order.
type step struct {
	send string
	want []string
}

func run(t *testing.T, c *client, steps []step) {
	t.Helper()
	for _, s := range steps {
		c.send(s.send)
		var got []string
		for range s.want {
			got = append(got, c.line())
		}
		if !slices.Equal(got, s.want) {
			t.Fatalf("after %q got\n%s\nwant\n%s", s.send, strings.Join(got, "\n"), strings.Join(s.want, "\n"))
		}
	}
}

func TestTranscript(t *testing.T) {
	addr, _ := start(t, Config{}, false)
	c := dial(t, addr)
	uid := func(n int) string { return fmt.Sprintf("%08x%08x", n, mailstore.DefaultUIDValidity) }
	run(t, c, []step{
		{"CAPA", []string{"+OK Capability list follows.", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "SASL PLAIN LOGIN", "IMPLEMENTATION wirebook", "."}},
		{"STAT", []string{"-ERR Not logged in: STAT is only valid in the TRANSACTION state; log in with USER/PASS or AUTH first."}},
		{"PASS alice-pw", []string{"-ERR Send USER first."}},
		{"USER alice", []string{"+OK Send PASS for alice."}},
		{"PASS wrong", []string{"-ERR [AUTH] Invalid user name or password."}},
		{"USER alice@example.com", []string{"+OK Send PASS for alice@example.com."}},
		{"PASS alice-pw", []string{"+OK alice's maildrop has 2 messages (" + fmt.Sprint(len(msg1)+len(msg2)) + " octets)."}},
		{"USER bob", []string{"-ERR Already logged in: USER is only valid in the AUTHORIZATION state."}},
		{"STAT", []string{fmt.Sprintf("+OK 2 %d", len(msg1)+len(msg2))}},
		{"LIST", []string{fmt.Sprintf("+OK 2 messages (%d octets)", len(msg1)+len(msg2)), fmt.Sprintf("1 %d", len(msg1)), fmt.Sprintf("2 %d", len(msg2)), "."}},
		{"list 2", []string{fmt.Sprintf("+OK 2 %d", len(msg2))}},
		{"LIST 9", []string{"-ERR No message 9; the maildrop has 2 messages."}},
		{"LIST x", []string{"-ERR Invalid message number: x"}},
		{"UIDL", []string{"+OK Unique ids follow.", "1 " + uid(1), "2 " + uid(2), "."}},
		{"UIDL 1", []string{"+OK 1 " + uid(1)}},
		{"RETR 2", []string{fmt.Sprintf("+OK %d octets", len(msg2)), "From: bob@example.com", "To: alice@example.com", "Subject: two", "", "line 1", "..dotted", "line 3", "."}},
		{"TOP 2 1", []string{"+OK Header and 1 body line of message 2 follow.", "From: bob@example.com", "To: alice@example.com", "Subject: two", "", "line 1", "."}},
		{"TOP 1 0", []string{"+OK Header and 0 body lines of message 1 follow.", "From: bob@example.com", "To: alice@example.com", "Subject: one", "", "."}},
		{"DELE 1", []string{"+OK Message 1 marked for deletion; it goes at QUIT."}},
		{"RETR 1", []string{"-ERR Message 1 is marked deleted."}},
		{"DELE 1", []string{"-ERR Message 1 is marked deleted."}},
		{"STAT", []string{fmt.Sprintf("+OK 1 %d", len(msg2))}},
		{"LIST", []string{fmt.Sprintf("+OK 1 message (%d octets)", len(msg2)), fmt.Sprintf("2 %d", len(msg2)), "."}},
		{"RSET", []string{fmt.Sprintf("+OK Maildrop has 2 messages (%d octets).", len(msg1)+len(msg2))}},
		{"XYZZY 1", []string{"-ERR Unknown command: XYZZY"}},
		{"", []string{"-ERR Empty command line."}},
		{"RETR", []string{"-ERR Syntax: RETR <message number>"}},
		{"TOP 1 -1", []string{"-ERR Invalid number of lines: -1"}},
		{"STLS", []string{"-ERR Already logged in: STLS is only valid in the AUTHORIZATION state."}},
		{"APOP alice 0123", []string{"-ERR APOP is not supported (the greeting has no timestamp); use USER/PASS or AUTH PLAIN."}},
		{"NOOP", []string{"+OK"}},
		{"CAPA", []string{"+OK Capability list follows.", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "IMPLEMENTATION wirebook", "."}},
		{"QUIT", []string{"+OK mail.example.com POP3 server signing off (2 messages left)."}},
	})
	c.expectClosed()
}

func TestDeletionTakesEffectAtQuit(t *testing.T) {
	tests := []struct {
		name    string
		steps   []string
		quit    bool
		wantLen int // messages alice has afterwards
	}{
		{"DELE then QUIT removes", []string{"DELE 1"}, true, 1},
		{"RSET undoes DELE", []string{"DELE 1", "DELE 2", "RSET"}, true, 2},
		{"no QUIT: nothing removed", []string{"DELE 1", "DELE 2"}, false, 2},
		{"all deleted", []string{"DELE 1", "DELE 2"}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			addr, _ := start(t, Config{Store: st}, false)
			c := login(t, addr, "alice", "alice-pw")
			for _, s := range tt.steps {
				if got := c.cmd(s); !strings.HasPrefix(got, "+OK") {
					t.Fatalf("%s = %q", s, got)
				}
			}
			if tt.quit {
				got := c.cmd("QUIT")
				if tt.wantLen == 0 && got != "+OK mail.example.com POP3 server signing off (maildrop empty)." {
					t.Errorf("QUIT = %q", got)
				}
				c.expectClosed()
			} else {
				c.conn.Close()
			}
			// A new session shows what the store holds.
			c2 := login(t, addr, "alice", "alice-pw")
			got := c2.cmd("STAT")
			if want := fmt.Sprintf("+OK %d ", tt.wantLen); !strings.HasPrefix(got, want) {
				t.Errorf("STAT in a new session = %q, want prefix %q", got, want)
			}
		})
	}
}

func TestRetrMarksSeenAtQuit(t *testing.T) {
	st := newStore(t)
	addr, _ := start(t, Config{Store: st}, false)
	c := login(t, addr, "alice", "alice-pw")
	c.send("RETR 2")
	c.line()
	c.block()
	c.cmd("QUIT")
	c.expectClosed()
	msgs, _, err := st.Messages("alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].HasFlag(`\Seen`) || !msgs[1].HasFlag(`\Seen`) {
		t.Errorf("flags after RETR 2 = %v, %v; want only message 2 \\Seen", msgs[0].Flags, msgs[1].Flags)
	}
}

func TestSnapshotIgnoresNewMail(t *testing.T) {
	st := newStore(t)
	addr, _ := start(t, Config{Store: st}, false)
	c := login(t, addr, "alice", "alice-pw")
	if err := st.Deliver([]string{"alice"}, []byte("Subject: late\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	if got := c.cmd("STAT"); !strings.HasPrefix(got, "+OK 2 ") {
		t.Errorf("STAT after a delivery = %q, want the login snapshot of 2 messages", got)
	}
	if got := c.cmd("LIST 3"); got != "-ERR No message 3; the maildrop has 2 messages." {
		t.Errorf("LIST 3 = %q", got)
	}
}

func TestPipelinedCommandsAnsweredInOrder(t *testing.T) {
	addr, _ := start(t, Config{}, false)
	c := dial(t, addr)
	c.send("USER bob", "PASS bob-pw", "STAT", "UIDL 1", "BOGUS", "QUIT")
	want := []string{
		"+OK Send PASS for bob.",
		fmt.Sprintf("+OK bob's maildrop has 1 message (%d octets).", len(msg3)),
		fmt.Sprintf("+OK 1 %d", len(msg3)),
		fmt.Sprintf("+OK 1 %08x%08x", 1, mailstore.DefaultUIDValidity+1), // bob's INBOX was the second mailbox created
		"-ERR Unknown command: BOGUS",
		"+OK mail.example.com POP3 server signing off (1 message left).",
	}
	for i, w := range want {
		if got := c.line(); got != w {
			t.Errorf("reply %d = %q, want %q", i+1, got, w)
		}
	}
	c.expectClosed()
}

func TestLimits(t *testing.T) {
	t.Run("over-long line keeps the connection", func(t *testing.T) {
		addr, _ := start(t, Config{MaxLine: 64}, false)
		c := dial(t, addr)
		if got := c.cmd("NOOP " + strings.Repeat("x", 10000)); got != "-ERR Line too long: commands are limited to 64 octets." {
			t.Errorf("long line = %q", got)
		}
		if got := c.cmd("CAPA"); got != "+OK Capability list follows." {
			t.Errorf("CAPA after a long line = %q", got)
		}
	})
	t.Run("too many connections", func(t *testing.T) {
		// Over the bound a client waits for its greeting, not an -ERR.
		addr, _ := start(t, Config{MaxConnections: 1}, false)
		first := dial(t, addr)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if got := first.cmd("QUIT"); !strings.HasPrefix(got, "+OK") {
			t.Fatalf("QUIT = %q", got)
		}
		c := &client{t: t, conn: conn, r: newReader(conn)}
		if got := c.line(); !strings.HasPrefix(got, "+OK") {
			t.Errorf("second connection got %q, want the greeting", got)
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		addr, _ := start(t, Config{IdleTimeout: 200 * time.Millisecond}, false)
		c := dial(t, addr)
		if got := c.line(); got != "-ERR Autologout: idle for more than 200ms." {
			t.Errorf("idle session got %q", got)
		}
		c.expectClosed()
	})
	t.Run("failed logins until the limit", func(t *testing.T) {
		addr, _ := start(t, Config{MaxAuthFails: 2}, false)
		c := dial(t, addr)
		c.cmd("USER alice")
		if got := c.cmd("PASS x"); got != "-ERR [AUTH] Invalid user name or password." {
			t.Errorf("first failure = %q", got)
		}
		c.cmd("USER alice")
		if got := c.cmd("PASS y"); got != "-ERR [AUTH] Invalid user name or password; too many failures, closing." {
			t.Errorf("second failure = %q", got)
		}
		c.expectClosed()
	})
}

func plain(authz, user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(authz + "\x00" + user + "\x00" + pass))
}

func TestAuthPlainAndLogin(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"inline", []step{{"AUTH PLAIN " + plain("", "bob", "bob-pw"), []string{fmt.Sprintf("+OK bob's maildrop has 1 message (%d octets).", len(msg3))}}}},
		{"continuation", []step{{"AUTH PLAIN", []string{"+ "}}, {plain("", "bob@example.com", "bob-pw"), []string{fmt.Sprintf("+OK bob's maildrop has 1 message (%d octets).", len(msg3))}}}},
		{"cancelled", []step{{"AUTH PLAIN", []string{"+ "}}, {"*", []string{"-ERR Authentication cancelled."}}, {"NOOP", []string{"-ERR Not logged in: NOOP is only valid in the TRANSACTION state; log in with USER/PASS or AUTH first."}}}},
		{"wrong password", []step{{"AUTH PLAIN " + plain("", "bob", "nope"), []string{"-ERR [AUTH] Invalid user name or password."}}}},
		{"bad base64", []step{{"AUTH PLAIN !!!", []string{"-ERR Invalid base64 in the AUTH PLAIN response."}}}},
		{"other authzid", []step{{"AUTH PLAIN " + plain("alice", "bob", "bob-pw"), []string{"-ERR [AUTH] Logging in as another user (authzid) is not supported."}}}},
		{"unknown mechanism", []step{{"AUTH CRAM-MD5", []string{"-ERR [AUTH] Unsupported mechanism: CRAM-MD5. This server offers PLAIN and LOGIN."}}}},
		{"list mechanisms", []step{{"AUTH", []string{"+OK Supported mechanisms follow.", "PLAIN", "LOGIN", "."}}}},
		// AUTH LOGIN with Dovecot's prompts, Username: and Password:.
		{"login", []step{{"AUTH LOGIN", []string{"+ VXNlcm5hbWU6"}}, {"Ym9i", []string{"+ UGFzc3dvcmQ6"}}, {"Ym9iLXB3", []string{fmt.Sprintf("+OK bob's maildrop has 1 message (%d octets).", len(msg3))}}}},
		{"login with the user inline", []step{{"AUTH LOGIN Ym9i", []string{"+ UGFzc3dvcmQ6"}}, {"bm9wZQ==", []string{"-ERR [AUTH] Invalid user name or password."}}}},
		{"login cancelled", []step{{"AUTH LOGIN", []string{"+ VXNlcm5hbWU6"}}, {"*", []string{"-ERR Authentication cancelled."}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, _ := start(t, Config{}, false)
			run(t, dial(t, addr), tt.steps)
		})
	}
}

func TestSTLS(t *testing.T) {
	b := bundle(t)
	addr, _ := start(t, Config{TLS: b.ServerConfig(), AllowInsecureAuth: new(false)}, false)
	c := dial(t, addr)
	run(t, c, []step{
		{"CAPA", []string{"+OK Capability list follows.", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS", "IMPLEMENTATION wirebook", "."}},
		{"USER alice", []string{"-ERR [AUTH] Plaintext authentication is refused without TLS; send STLS first."}},
		{"AUTH PLAIN " + plain("", "alice", "alice-pw"), []string{"-ERR [AUTH] Plaintext authentication is refused without TLS; send STLS first."}},
		{"STLS", []string{"+OK Begin TLS negotiation now."}},
	})
	tc := tls.Client(c.conn, b.ClientConfig("localhost"))
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c.conn, c.r = tc, newReader(tc)
	run(t, c, []step{
		{"CAPA", []string{"+OK Capability list follows.", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "SASL PLAIN LOGIN", "IMPLEMENTATION wirebook", "."}},
		{"STLS", []string{"-ERR TLS is already active."}},
		{"AUTH PLAIN " + plain("", "alice", "alice-pw"), []string{fmt.Sprintf("+OK alice's maildrop has 2 messages (%d octets).", len(msg1)+len(msg2))}},
	})
}

func TestSTLSWithoutTLSConfig(t *testing.T) {
	addr, _ := start(t, Config{}, false)
	run(t, dial(t, addr), []step{{"STLS", []string{"-ERR STLS is not available: this server has no TLS certificate."}}})
}

func TestSTLSDropsInjectedPlaintext(t *testing.T) {
	b := bundle(t)
	addr, _ := start(t, Config{TLS: b.ServerConfig()}, false)
	c := dial(t, addr)
	// A man in the middle appends a command after STLS; it must not run
	// as if the client had sent it under TLS.
	c.send("STLS", "USER mallory")
	if got := c.line(); got != "+OK Begin TLS negotiation now." {
		t.Fatalf("STLS = %q", got)
	}
	tc := tls.Client(c.conn, b.ClientConfig("localhost"))
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c.conn, c.r = tc, newReader(tc)
	if got := c.cmd("PASS x"); got != "-ERR Send USER first." {
		t.Errorf("PASS after injected USER = %q, want the injection dropped", got)
	}
}

func TestImplicitTLS(t *testing.T) {
	b := bundle(t)
	addr, _ := start(t, Config{TLS: b.ServerConfig(), AllowInsecureAuth: new(false)}, true)
	conn, err := tls.Dial("tcp", addr, b.ClientConfig("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &client{t: t, conn: conn, r: newReader(conn)}
	if got := c.line(); got != greeting {
		t.Fatalf("greeting = %q", got)
	}
	run(t, c, []step{
		{"CAPA", []string{"+OK Capability list follows.", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "SASL PLAIN LOGIN", "IMPLEMENTATION wirebook", "."}},
		{"USER bob", []string{"+OK Send PASS for bob."}},
	})
}

func TestCloseEndsSessions(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Config{Store: newStore(t)})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	c := dial(t, l.Addr().String())
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve after Close = %v, want nil", err)
	}
	c.expectClosed()
}

func TestServeWithoutStore(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := New(Config{}).Serve(l); err == nil || !strings.Contains(err.Error(), "Store") {
		t.Errorf("Serve without a store = %v, want an error naming Store", err)
	}
}
