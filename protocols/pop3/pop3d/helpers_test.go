package pop3d

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols/labtls"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

// Messages every test maildrop starts with: alice has two, bob one. The
// second has a line starting with a dot, to show dot-stuffing.
var (
	msg1 = "From: bob@example.com\r\nTo: alice@example.com\r\nSubject: one\r\n\r\nHello Alice.\r\n"
	msg2 = "From: bob@example.com\r\nTo: alice@example.com\r\nSubject: two\r\n\r\nline 1\r\n.dotted\r\nline 3\r\n"
	msg3 = "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: for bob\r\n\r\nHi Bob.\r\n"
)

func newStore(t *testing.T) *mailstore.Store {
	t.Helper()
	st := mailstore.New(mailstore.Config{Clock: mailstore.NewStepClock()})
	for _, m := range []struct{ user, data string }{{"alice", msg1}, {"alice", msg2}, {"bob", msg3}} {
		if _, err := st.Append(m.user, "INBOX", nil, time.Time{}, []byte(m.data)); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

var testBundle *labtls.Bundle

func bundle(t *testing.T) *labtls.Bundle {
	t.Helper()
	if testBundle == nil {
		b, err := labtls.New()
		if err != nil {
			t.Fatal(err)
		}
		testBundle = b
	}
	return testBundle
}

// start serves cfg on 127.0.0.1:0 (wrapped in TLS when implicitTLS) and
// returns the address; the server is closed when the test ends.
func start(t *testing.T, cfg Config, implicitTLS bool) (string, *Server) {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = newStore(t)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if implicitTLS {
		l = tls.NewListener(l, bundle(t).ServerConfig())
	}
	srv := New(cfg)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve returned %v after Close, want nil", err)
		}
	})
	return l.Addr().String(), srv
}

// client is a bare-socket POP3 client for checking exact server lines.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &client{t: t, conn: conn, r: newReader(conn)}
	if got := c.line(); got != greeting {
		t.Fatalf("greeting = %q, want %q", got, greeting)
	}
	return c
}

func (c *client) send(lines ...string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n")); err != nil {
		c.t.Fatalf("send %q: %v", lines, err)
	}
}

// line reads one server line and checks it ends in CRLF.
func (c *client) line() string {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (got %q)", err, s)
	}
	if !strings.HasSuffix(s, "\r\n") {
		c.t.Fatalf("server line %q does not end in CRLF", s)
	}
	return strings.TrimSuffix(s, "\r\n")
}

// block reads the lines of a multi-line response up to the lone dot.
func (c *client) block() []string {
	c.t.Helper()
	var out []string
	for {
		l := c.line()
		if l == "." {
			return out
		}
		out = append(out, l)
	}
}

// cmd sends one command and returns its one-line reply.
func (c *client) cmd(line string) string {
	c.t.Helper()
	c.send(line)
	return c.line()
}

// expectClosed checks that the server closed the connection.
func (c *client) expectClosed() {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, err := c.r.ReadString('\n')
	if err == nil {
		c.t.Fatalf("server sent %q, want the connection closed", rest)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.t.Fatalf("connection still open, want it closed by the server")
	}
	if rest != "" {
		c.t.Fatalf("server sent %q before closing", rest)
	}
}

func login(t *testing.T, addr, user, pass string) *client {
	t.Helper()
	c := dial(t, addr)
	if got := c.cmd("USER " + user); !strings.HasPrefix(got, "+OK") {
		t.Fatalf("USER %s = %q", user, got)
	}
	if got := c.cmd("PASS " + pass); !strings.HasPrefix(got, "+OK") {
		t.Fatalf("PASS = %q", got)
	}
	return c
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }
