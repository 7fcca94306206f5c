// Package hostileserver is a misbehaving SMTP, POP3, IMAP and HTTP server
// for wirebook's tests: one misbehaviour per Mode (hanging up mid-reply,
// stalling, dripping bytes, flooding, endless continuation lines, huge
// announced literals and bodies, refusing or botching STARTTLS, hostile
// payloads, echoing credentials). It listens on 127.0.0.1:0, serves any
// number of connections and records every byte clients send, so a test can
// prove what never reached it. Use it from _test.go files only.
//
// Unlike protocols/internal/fakeserver, which plays one scripted
// connection for a client unit test, this server speaks just enough of
// each protocol for a whole lab to run against it through the CLI.
package hostileserver

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mode is one misbehaviour. Unless said otherwise it starts with the reply
// to the client's first command (for HTTP: the first response).
type Mode string

// The modes.
const (
	Normal       Mode = "normal"        // a well-behaved server, for comparison
	CloseMid     Mode = "close-mid"     // half a reply line, then hang up
	Stall        Mode = "stall"         // never answer, keep the connection open
	Drip         Mode = "drip"          // an endless reply, one byte per DripEvery
	Flood        Mode = "flood"         // endless bytes without a line end
	Endless      Mode = "endless"       // endless short continuation lines
	HugeLiteral  Mode = "huge-literal"  // IMAP literal / HTTP body announced at 10^12 bytes, then endless data
	TLSRefused   Mode = "tls-refused"   // STARTTLS/STLS answered with a refusal
	TLSGarbage   Mode = "tls-garbage"   // STARTTLS go-ahead, then bytes that are no TLS handshake
	TLSInjected  Mode = "tls-injected"  // STARTTLS go-ahead with a forged reply in the same write
	Payload      Mode = "payload"       // every text carries XSS, ANSI, NUL, C1 and invalid UTF-8
	Echo         Mode = "echo"          // every reply repeats what the client sent, decoded and re-encoded
	ClosePayload Mode = "close-payload" // a payload line without its end, then hang up (payload in errors)
)

// Modes lists every mode.
var Modes = []Mode{Normal, CloseMid, Stall, Drip, Flood, Endless, HugeLiteral, TLSRefused, TLSGarbage, TLSInjected, Payload, Echo, ClosePayload}

// PayloadText is what Payload mode puts in every text a server writes: an
// HTML injection, terminal escapes (clear screen, set title, C1 CSI), a
// BEL, a NUL, backspace, a bare CR, and invalid UTF-8.
const PayloadText = "<script>alert(1)</script><img src=x onerror=alert(2)>\x1b[2J\x1b]0;owned\x07\x00\x08\r\xc2\x9b31m\xff\xfe\xc3(&amp;"

// Options tune a server.
type Options struct {
	DripEvery time.Duration // pause between dripped bytes; default 20ms
}

// Server is a running hostile server.
type Server struct {
	Addr  string
	Proto string
	Mode  Mode

	opts     Options
	l        net.Listener
	mu       sync.Mutex
	received bytes.Buffer
	conns    map[net.Conn]bool
	wg       sync.WaitGroup
	closing  chan struct{}
}

// Start listens on 127.0.0.1:0 and serves proto ("smtp", "pop3", "imap",
// "http") in mode until the test ends.
func Start(t testing.TB, proto string, mode Mode, opts Options) *Server {
	t.Helper()
	if opts.DripEvery <= 0 {
		opts.DripEvery = 20 * time.Millisecond
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: l.Addr().String(), Proto: proto, Mode: mode, opts: opts, l: l, conns: map[net.Conn]bool{}, closing: make(chan struct{})}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// Port is the listening port.
func (s *Server) Port() int { return s.l.Addr().(*net.TCPAddr).Port }

// Received returns every byte clients have sent so far, all connections
// together in arrival order.
func (s *Server) Received() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received.String()
}

// Close stops the server and hangs up on every client.
func (s *Server) Close() {
	select {
	case <-s.closing:
		return
	default:
	}
	close(s.closing)
	s.l.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			// A client that stops talking must not keep a test alive.
			_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
			cn := &conn{s: s, c: c, r: bufio.NewReader(recorder{s, c})}
			cn.serve()
		}()
	}
}

// recorder keeps what the client sends.
type recorder struct {
	s *Server
	c net.Conn
}

func (r recorder) Read(p []byte) (int, error) {
	n, err := r.c.Read(p)
	r.s.mu.Lock()
	r.s.received.Write(p[:n])
	r.s.mu.Unlock()
	return n, err
}

// conn is one client connection.
type conn struct {
	s         *Server
	c         net.Conn
	r         *bufio.Reader
	triggered bool // the misbehaviour has started
}

func (c *conn) serve() {
	switch c.s.Proto {
	case "smtp":
		c.smtp()
	case "pop3":
		c.pop3()
	case "imap":
		c.imap()
	case "http":
		c.http()
	}
}

// text is a reply text, with the payload in Payload mode.
func (c *conn) text(s string) string {
	if c.s.Mode == Payload {
		return s + " " + PayloadText
	}
	return s
}

func (c *conn) write(s string) bool {
	_, err := c.c.Write([]byte(s))
	return err == nil
}

func (c *conn) readLine() (string, bool) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", false
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), true
}

// misbehave plays the mode's misbehaviour once, at the first reply: start
// is how a reply line of the protocol begins ("250-", "* ", "X-Header: ").
// It reports whether it did; the connection is then over.
func (c *conn) misbehave(start string) bool {
	if c.triggered {
		return false
	}
	c.triggered = true
	switch c.s.Mode {
	case CloseMid:
		c.write(start + "half a rep")
	case ClosePayload:
		c.write(start + PayloadText)
	case Stall:
		c.wait()
	case Drip:
		c.write(start)
		for c.write("x") {
			if !c.sleep(c.s.opts.DripEvery) {
				return true
			}
		}
	case Flood:
		c.write(start)
		c.endless(strings.Repeat("A", 32<<10))
	case Endless:
		c.endless(strings.Repeat(start+"x\r\n", 1000))
	default:
		return false
	}
	return true
}

// endless writes chunk until the client hangs up or the server closes.
func (c *conn) endless(chunk string) {
	for c.write(chunk) {
		select {
		case <-c.s.closing:
			return
		default:
		}
	}
}

// wait holds the connection open, silent, until the client hangs up.
func (c *conn) wait() {
	_, _ = c.r.WriteTo(discard{})
}

func (c *conn) sleep(d time.Duration) bool {
	select {
	case <-c.s.closing:
		return false
	case <-time.After(d):
		return true
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// startTLS answers a STARTTLS-like command in the TLS modes; ok is the
// protocol's go-ahead line, refuse its refusal. It reports whether the
// connection goes on in clear.
func (c *conn) startTLS(ok, refuse string) bool {
	switch c.s.Mode {
	case TLSGarbage:
		c.write(ok + "\r\n")
		c.sleep(50 * time.Millisecond)
		c.write("this is not a TLS record\r\n")
		c.wait()
		return false
	case TLSInjected:
		c.write(ok + "\r\n" + injected(c.s.Proto) + "\r\n")
		c.wait()
		return false
	}
	return c.write(refuse + "\r\n")
}

func injected(proto string) string {
	switch proto {
	case "smtp":
		return "250-injected\r\n250 AUTH PLAIN"
	case "pop3":
		return "+OK injected"
	}
	return "* CAPABILITY IMAP4rev1 AUTH=PLAIN injected"
}
