package pop3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols"
	"github.com/wirebook/wirebook/protocols/internal/fakeserver"
	"github.com/wirebook/wirebook/protocols/labtls"
	"github.com/wirebook/wirebook/protocols/mailstore"
	"github.com/wirebook/wirebook/protocols/pop3/pop3d"
)

// lines makes script lines; "+" at the start marks a pipelined line, and a
// PASS or AUTH response is masked in Display as the engine would.
func lines(texts ...string) []protocols.ClientLine {
	var out []protocols.ClientLine
	for i, t := range texts {
		l := protocols.ClientLine{Source: i + 1}
		if strings.HasPrefix(t, "+") {
			l.Pipelined, t = true, t[1:]
		}
		l.Text, l.Display = t, t
		if strings.HasPrefix(t, "PASS ") {
			l.Display = "PASS ****"
		}
		out = append(out, l)
	}
	return out
}

// transcript renders events as "C: ", "S: ", "P: " (server payload) and
// "N: " lines.
func transcript(w *protocols.Wire) []string {
	var out []string
	for _, e := range w.Events() {
		kind := e.Kind.String()
		if e.Kind == protocols.Server && e.Payload {
			kind = "P"
		}
		out = append(out, kind+": "+e.Text)
	}
	return out
}

func runScript(t *testing.T, addr string, tlsCfg *tlsConfig, implicit bool, script []protocols.ClientLine) (*protocols.Wire, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	w := protocols.NewWire(conn, tlsCfg.client(), protocols.Limits{ReadTimeout: 5 * time.Second})
	t.Cleanup(func() { w.Close() })
	if implicit {
		if err := w.StartTLS(); err != nil {
			t.Fatal(err)
		}
	}
	err = Protocol{}.Run(context.Background(), &protocols.Session{Wire: w, Script: protocols.NewScript(script)})
	return w, err
}

// tlsConfig holds the lab bundle of a test, nil for plain servers.
type tlsConfig struct{ b *labtls.Bundle }

func (c *tlsConfig) client() *tls.Config {
	if c == nil {
		return nil
	}
	return c.b.ClientConfig("localhost")
}

func newTLS(t *testing.T) *tlsConfig {
	t.Helper()
	b, err := labtls.New()
	if err != nil {
		t.Fatal(err)
	}
	return &tlsConfig{b: b}
}

const (
	msg1 = "Subject: one\r\n\r\nHello.\r\n"
	msg2 = "Subject: two\r\n\r\n.dotted\r\nend\r\n"
)

func startServer(t *testing.T, cfg pop3d.Config, implicit *tlsConfig) (string, *mailstore.Store) {
	t.Helper()
	st := mailstore.New(mailstore.Config{Clock: mailstore.NewStepClock()})
	for _, m := range []string{msg1, msg2} {
		if _, err := st.Append("alice", "INBOX", nil, time.Time{}, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Store = st
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if implicit != nil {
		l = tls.NewListener(l, implicit.b.ServerConfig())
	}
	srv := pop3d.New(cfg)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String(), st
}

func TestAgainstEmbeddedServer(t *testing.T) {
	addr, st := startServer(t, pop3d.Config{}, nil)
	w, err := runScript(t, addr, nil, false, lines(
		"CAPA", "USER alice", "PASS alice-pw", "STAT", "LIST", "UIDL 2", "RETR 2", "TOP 1 0", "RETR 7", "DELE 1", "QUIT"))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	uid := fmt.Sprintf("%08x%08x", 2, mailstore.DefaultUIDValidity)
	want := []string{
		"S: +OK wirebook lab POP3 server ready.",
		"C: CAPA",
		"S: +OK Capability list follows.", "S: TOP", "S: UIDL", "S: RESP-CODES", "S: AUTH-RESP-CODE", "S: PIPELINING", "S: USER", "S: SASL PLAIN LOGIN", "S: IMPLEMENTATION wirebook", "S: .",
		"C: USER alice",
		"S: +OK Send PASS for alice.",
		"C: PASS ****",
		fmt.Sprintf("S: +OK alice's maildrop has 2 messages (%d octets).", len(msg1)+len(msg2)),
		"C: STAT",
		fmt.Sprintf("S: +OK 2 %d", len(msg1)+len(msg2)),
		"C: LIST",
		fmt.Sprintf("S: +OK 2 messages (%d octets)", len(msg1)+len(msg2)), fmt.Sprintf("S: 1 %d", len(msg1)), fmt.Sprintf("S: 2 %d", len(msg2)), "S: .",
		"C: UIDL 2",
		"S: +OK 2 " + uid,
		"C: RETR 2",
		fmt.Sprintf("S: +OK %d octets", len(msg2)), "P: Subject: two", "P: ", "P: ..dotted", "P: end", "P: .",
		"C: TOP 1 0",
		"S: +OK Header and 0 body lines of message 1 follow.", "P: Subject: one", "P: ", "P: .",
		"C: RETR 7",
		"S: -ERR No message 7; the maildrop has 2 messages.",
		"C: DELE 1",
		"S: +OK Message 1 marked for deletion; it goes at QUIT.",
		"C: QUIT",
		"S: +OK mail.example.com POP3 server signing off (1 message left).",
		"N: connection closed by the server",
	}
	if got := transcript(w); !slices.Equal(got, want) {
		t.Errorf("transcript:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if msgs, _, _ := st.Messages("alice", "INBOX"); len(msgs) != 1 {
		t.Errorf("after DELE 1 and QUIT the store has %d messages, want 1", len(msgs))
	}
	for _, e := range w.Events() {
		if strings.Contains(e.Text, "alice-pw") {
			t.Errorf("transcript shows the password: %q", e.Text)
		}
	}
}

func TestSTLSThenAuthPlainContinuation(t *testing.T) {
	tc := newTLS(t)
	addr, _ := startServer(t, pop3d.Config{TLS: tc.b.ServerConfig(), AllowInsecureAuth: new(false)}, nil)
	w, err := runScript(t, addr, tc, false, lines("STLS", "AUTH PLAIN", "AGFsaWNlAGFsaWNlLXB3", "STAT", "QUIT"))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := transcript(w)
	if len(got) < 4 || got[2] != "S: +OK Begin TLS negotiation now." || !strings.HasPrefix(got[3], "N: TLS ") {
		t.Fatalf("transcript does not show STLS then a TLS note:\n%s", strings.Join(got, "\n"))
	}
	wantTail := []string{
		"C: AUTH PLAIN",
		"S: + ",
		"C: AGFsaWNlAGFsaWNlLXB3",
		fmt.Sprintf("S: +OK alice's maildrop has 2 messages (%d octets).", len(msg1)+len(msg2)),
		"C: STAT",
		fmt.Sprintf("S: +OK 2 %d", len(msg1)+len(msg2)),
		"C: QUIT",
		"S: +OK mail.example.com POP3 server signing off (2 messages left).",
		"N: connection closed by the server",
	}
	if !slices.Equal(got[4:], wantTail) {
		t.Errorf("after TLS:\n%s\nwant:\n%s", strings.Join(got[4:], "\n"), strings.Join(wantTail, "\n"))
	}
}

func TestImplicitTLS(t *testing.T) {
	tc := newTLS(t)
	addr, _ := startServer(t, pop3d.Config{TLS: tc.b.ServerConfig()}, tc)
	w, err := runScript(t, addr, tc, true, lines("USER alice", "PASS alice-pw", "QUIT"))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := transcript(w)
	if !strings.HasPrefix(got[0], "N: TLS ") || got[1] != "S: +OK wirebook lab POP3 server ready." {
		t.Errorf("transcript starts %q, want a TLS note then the greeting", got[:2])
	}
}

func TestPipelinedGroup(t *testing.T) {
	addr, _ := startServer(t, pop3d.Config{}, nil)
	w, err := runScript(t, addr, nil, false, lines("USER alice", "+PASS alice-pw", "+LIST", "+STAT", "QUIT"))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := transcript(w)
	// All four client lines go out before the first reply is read.
	want := []string{"C: USER alice", "C: PASS ****", "C: LIST", "C: STAT", "S: +OK Send PASS for alice."}
	if !slices.Equal(got[1:6], want) {
		t.Errorf("transcript[1:6] = %q, want %q", got[1:6], want)
	}
	if last := got[len(got)-2]; last != "S: +OK mail.example.com POP3 server signing off (2 messages left)." {
		t.Errorf("reply to QUIT = %q", last)
	}
}

// act is one turn of a scripted fake server: wait for a client line (when
// expect is set), then write chunks with a pause between them.
type act struct {
	expect string
	write  []string
}

// fakeServer plays acts to one client, then closes the connection.
func fakeServer(t *testing.T, acts []act) string {
	t.Helper()
	var steps []fakeserver.Step
	for _, a := range acts {
		if a.expect != "" {
			steps = append(steps, fakeserver.Hear(a.expect))
		}
		for _, chunk := range a.write {
			steps = append(steps, fakeserver.Say(chunk))
		}
	}
	return fakeserver.Play(t, append(steps, fakeserver.HangUp())...).Addr
}

func TestFraming(t *testing.T) {
	const hello = "+OK hi\r\n"
	tests := []struct {
		name    string
		acts    []act
		script  []string
		want    []string // transcript after the greeting
		wantErr func(error) bool
	}{
		{
			name:   "multi-line split across reads",
			acts:   []act{{write: []string{hello}}, {expect: "LIST", write: []string{"+OK 2 mess", "ages\r\n1 1", "0\r\n2 20\r", "\n.", "\r\n"}}},
			script: []string{"LIST"},
			want:   []string{"C: LIST", "S: +OK 2 messages", "S: 1 10", "S: 2 20", "S: ."},
		},
		{
			name:   "dot-stuffed lines shown as on the wire",
			acts:   []act{{write: []string{hello}}, {expect: "RETR 1", write: []string{"+OK 9 octets\r\n..\r\n...x\r\n.", "\r\n"}}},
			script: []string{"RETR 1"},
			want:   []string{"C: RETR 1", "S: +OK 9 octets", "P: ..", "P: ...x", "P: ."},
		},
		{
			name:   "-ERR to a multi-line command is one line",
			acts:   []act{{write: []string{hello}}, {expect: "RETR 1", write: []string{"-ERR no such message\r\n"}}, {expect: "NOOP", write: []string{"+OK\r\n"}}},
			script: []string{"RETR 1", "NOOP"},
			want:   []string{"C: RETR 1", "S: -ERR no such message", "C: NOOP", "S: +OK"},
		},
		{
			name:   "LIST with an argument is one line",
			acts:   []act{{write: []string{hello}}, {expect: "LIST 1", write: []string{"+OK 1 10\r\n"}}, {expect: "UIDL 1", write: []string{"+OK 1 abc\r\n"}}},
			script: []string{"LIST 1", "UIDL 1"},
			want:   []string{"C: LIST 1", "S: +OK 1 10", "C: UIDL 1", "S: +OK 1 abc"},
		},
		{
			name:    "close in the middle of a message",
			acts:    []act{{write: []string{hello}}, {expect: "RETR 1", write: []string{"+OK 50 octets\r\nSubject: x\r\n\r\npart"}}},
			script:  []string{"RETR 1"},
			want:    []string{"C: RETR 1", "S: +OK 50 octets", "P: Subject: x", "P: ", "P: part", "N: connection closed by the server"},
			wantErr: func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) },
		},
		{
			name:    "not a POP3 response",
			acts:    []act{{write: []string{hello}}, {expect: "STAT", write: []string{"220 smtp here\r\n"}}},
			script:  []string{"STAT"},
			want:    []string{"C: STAT", "S: 220 smtp here"},
			wantErr: isProtocolError,
		},
		{
			name:    "+OKAY is not +OK",
			acts:    []act{{write: []string{"+OKAY\r\n"}}},
			want:    []string{},
			wantErr: isProtocolError,
		},
		{
			name:   "QUIT waits for the close",
			acts:   []act{{write: []string{hello}}, {expect: "QUIT", write: []string{"+OK bye\r\n", "late\r\n"}}},
			script: []string{"QUIT"},
			want:   []string{"C: QUIT", "S: +OK bye", "S: late", "N: connection closed by the server"},
		},
		{
			name:    "continuation without a script line",
			acts:    []act{{write: []string{hello}}, {expect: "AUTH PLAIN", write: []string{"+ \r\n"}}},
			script:  []string{"AUTH PLAIN"},
			want:    []string{"C: AUTH PLAIN", "S: + "},
			wantErr: func(err error) bool { return err != nil && strings.Contains(err.Error(), "continuation") },
		},
		{
			name:   "pipelined continuation answer",
			acts:   []act{{write: []string{hello}}, {expect: "AUTH PLAIN", write: []string{"+ \r\n"}}, {expect: "AGFAYg==", write: []string{"+OK in\r\n"}}, {expect: "STAT", write: []string{"+OK 0 0\r\n"}}},
			script: []string{"AUTH PLAIN", "+AGFAYg==", "+STAT"},
			want:   []string{"C: AUTH PLAIN", "C: AGFAYg==", "C: STAT", "S: + ", "S: +OK in", "S: +OK 0 0"},
		},
		{
			name:   "AUTH without a mechanism lists them",
			acts:   []act{{write: []string{hello}}, {expect: "AUTH", write: []string{"+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n"}}},
			script: []string{"AUTH"},
			want:   []string{"C: AUTH", "S: +OK", "S: PLAIN", "S: LOGIN", "S: ."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fakeServer(t, tt.acts)
			w, err := runScript(t, addr, nil, false, lines(tt.script...))
			if tt.wantErr == nil && err != nil {
				t.Errorf("Run: %v", err)
			}
			if tt.wantErr != nil && !tt.wantErr(err) {
				t.Errorf("Run error = %v, not the one expected", err)
			}
			got := transcript(w)[1:]
			if !slices.Equal(got, tt.want) {
				t.Errorf("transcript:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func isProtocolError(err error) bool {
	var pe *protocols.ProtocolError
	return errors.As(err, &pe)
}

func TestInfo(t *testing.T) {
	got := Protocol{}.Info()
	want := protocols.Info{Name: "pop3", Port: 110, TLSName: "pop3s", TLSPort: 995}
	if got != want {
		t.Errorf("Info() = %+v, want %+v", got, want)
	}
}
