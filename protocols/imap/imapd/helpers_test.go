package imapd

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols/labtls"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

// Messages delivered to alice's INBOX by newTestServer, in UID order.
var (
	msgPlain = "From: Bob Example <bob@example.com>\r\n" +
		"To: alice@example.com\r\n" +
		"Subject: Lunch on Friday\r\n" +
		"Date: Mon, 5 Jan 2026 08:30:00 +0000\r\n" +
		"Message-ID: <lunch-1@example.com>\r\n" +
		"\r\n" +
		"Shall we meet at noon?\r\n"
	msgMultipart = "From: IPIP Newsletter <news@ipip.example>\r\n" +
		"To: alice@example.com, Carol <carol@example.org>\r\n" +
		"Cc: bob@example.com\r\n" +
		"Subject: =?utf-8?q?Caf=C3=A9_report?=\r\n" +
		"Date: Tue, 6 Jan 2026 10:00:00 +0100\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"outer\"\r\n" +
		"\r\n" +
		"This is a MIME message.\r\n" +
		"--outer\r\n" +
		"Content-Type: multipart/alternative; boundary=inner\r\n" +
		"\r\n" +
		"--inner\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"\r\n" +
		"Plain text part.\r\n" +
		"--inner\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n" +
		"\r\n" +
		"<p>HTML part.</p>\r\n" +
		"--inner--\r\n" +
		"--outer\r\n" +
		"Content-Type: application/octet-stream; name=\"data.bin\"\r\n" +
		"Content-Disposition: attachment; filename=\"data.bin\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n" +
		"\r\n" +
		"AAECAw==\r\n" +
		"--outer--\r\n"
	msgThird = "From: bob@example.com\r\n" +
		"To: alice@example.com\r\n" +
		"Subject: Re: Lunch on Friday\r\n" +
		"Date: Wed, 7 Jan 2026 12:00:00 +0000\r\n" +
		"In-Reply-To: <lunch-1@example.com>\r\n" +
		"\r\n" +
		"Noon works. See you at the IPIP cafe.\r\n"
)

type testServer struct {
	addr   string
	store  *mailstore.Store
	bundle *labtls.Bundle
	caFile string
}

type serverOptions struct {
	tls          bool // offer STARTTLS
	implicitTLS  bool // wrap the listener with tls.NewListener
	secureOnly   bool // AllowInsecureAuth false
	maxLine      int
	noMessages   bool
	idleDuration time.Duration
	maxMessages  int
	maildir      bool // a Maildir store (mailstore.Open) instead of memory
}

var testBundle *labtls.Bundle

func bundle(t *testing.T) *labtls.Bundle {
	t.Helper()
	if testBundle == nil {
		b, err := labtls.New()
		if err != nil {
			t.Fatalf("labtls.New: %v", err)
		}
		testBundle = b
	}
	return testBundle
}

func newTestServer(t *testing.T, opt serverOptions) *testServer {
	t.Helper()
	storeCfg := mailstore.Config{Clock: mailstore.NewStepClock(), MaxMessage: 1 << 20}
	store := mailstore.New(storeCfg)
	if opt.maildir {
		var err error
		if store, err = mailstore.Open(t.TempDir(), storeCfg); err != nil {
			t.Fatalf("mailstore.Open: %v", err)
		}
	}
	if !opt.noMessages {
		for _, m := range []string{msgPlain, msgMultipart, msgThird} {
			if err := store.Deliver([]string{"alice"}, []byte(m)); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
		}
	}
	ts := &testServer{store: store}
	cfg := Config{Store: store, MaxLine: opt.maxLine, IdleTimeout: opt.idleDuration, MaxMailboxMessages: opt.maxMessages}
	if opt.tls || opt.implicitTLS {
		ts.bundle = bundle(t)
		ts.caFile = filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(ts.caFile, ts.bundle.CAPEM, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if opt.tls {
		cfg.TLS = ts.bundle.ServerConfig()
	}
	if opt.secureOnly {
		f := false
		cfg.AllowInsecureAuth = &f
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ts.addr = l.Addr().String()
	if opt.implicitTLS {
		l = tls.NewListener(l, ts.bundle.ServerConfig())
	}
	srv := New(cfg)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve returned %v, want nil after Close", err)
		}
	})
	return ts
}

// rawClient speaks bytes to the server and reads its lines.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func (ts *testServer) dial(t *testing.T) *rawClient {
	t.Helper()
	c, greeting := ts.dialGreeting(t)
	if !strings.HasPrefix(greeting, "* OK [CAPABILITY IMAP4rev1 ") {
		t.Fatalf("greeting = %q", greeting)
	}
	return c
}

func (ts *testServer) dialGreeting(t *testing.T) (*rawClient, string) {
	t.Helper()
	conn, err := netDial(ts.addr)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{t: t, conn: conn, r: newTestReader(conn)}
	return c, c.line()
}

func netDial(addr string) (net.Conn, error) { return net.Dial("tcp", addr) }

func netListen(t *testing.T) (net.Listener, error) {
	t.Helper()
	return net.Listen("tcp", "127.0.0.1:0")
}

func newTestReader(conn net.Conn) *bufio.Reader { return bufio.NewReader(conn) }

// login dials and logs alice in.
func (ts *testServer) login(t *testing.T) *rawClient {
	t.Helper()
	c := ts.dial(t)
	c.send("L1 LOGIN alice alice-pw")
	if got := c.until("L1"); !strings.HasPrefix(got[len(got)-1], "L1 OK ") {
		t.Fatalf("login: %q", got)
	}
	return c
}

func (c *rawClient) send(s string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.conn, s+"\r\n"); err != nil {
		c.t.Fatalf("send %q: %v", s, err)
	}
}

func (c *rawClient) sendRaw(s string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// line reads one line and checks it ends with CRLF.
func (c *rawClient) line() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read after %q: %v", s, err)
	}
	if !strings.HasSuffix(s, "\r\n") {
		c.t.Fatalf("line %q does not end in CRLF", s)
	}
	return strings.TrimSuffix(s, "\r\n")
}

// readN reads n raw bytes (a literal).
func (c *rawClient) readN(n int) string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, n)
	if _, err := io.ReadFull(c.r, buf); err != nil {
		c.t.Fatalf("read literal: %v", err)
	}
	return string(buf)
}

// until reads lines up to and including the tagged reply for tag.
func (c *rawClient) until(tag string) []string {
	c.t.Helper()
	var lines []string
	for {
		l := c.line()
		lines = append(lines, l)
		if strings.HasPrefix(l, tag+" ") {
			return lines
		}
	}
}

// transcript sends a command and returns everything up to its tagged
// reply, literals included, as one CRLF-joined text.
func (c *rawClient) transcript(tag, command string) string {
	c.t.Helper()
	c.send(tag + " " + command)
	var b strings.Builder
	for {
		l := c.line()
		b.WriteString(l + "\r\n")
		if n, _, ok := trailingLiteral([]byte(l)); ok && n >= 0 {
			b.WriteString(c.readN(int(n)))
			continue
		}
		if strings.HasPrefix(l, tag+" ") {
			return b.String()
		}
	}
}

// expectClosed checks the server hung up.
func (c *rawClient) expectClosed() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if s, err := c.r.ReadString('\n'); err != io.EOF {
		c.t.Fatalf("read = %q, %v; want EOF", s, err)
	}
}
