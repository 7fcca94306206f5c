// Package fakeserver is a scripted stand-in server for the client tests of
// the protocol packages: it accepts one connection on 127.0.0.1:0, plays a
// script of writes (split across reads by short pauses), checks what the
// client sends, can hang up mid-response, and records the client's bytes.
// Use it from _test.go files only.
package fakeserver

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"
)

// ioTimeout bounds each read and write so a stuck client fails the test
// instead of hanging it.
const ioTimeout = 5 * time.Second

// pause separates consecutive writes so the client sees them in separate
// reads.
const pause = 5 * time.Millisecond

// Server is a fake server with its one connection.
type Server struct {
	Addr string // host:port to dial

	done     chan struct{}
	received bytes.Buffer
}

// Received waits until the connection is over and returns every byte the
// client sent (after a TLS step: the decrypted bytes).
func (s *Server) Received() string {
	<-s.done
	return s.received.String()
}

// Accept listens on 127.0.0.1:0 and hands the first connection, with a
// reader over it, to serve; the connection is closed when serve returns.
// The test's cleanup waits for serve to end.
func Accept(t testing.TB, serve func(c net.Conn, r *bufio.Reader)) *Server {
	t.Helper()
	return accept(t, func(_ *Server, c net.Conn, r *bufio.Reader) { serve(c, r) })
}

func accept(t testing.TB, serve func(s *Server, c net.Conn, r *bufio.Reader)) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: l.Addr().String(), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(ioTimeout))
		serve(s, c, bufio.NewReader(io.TeeReader(c, &s.received)))
	}()
	t.Cleanup(func() {
		l.Close()
		<-s.done
	})
	return s
}

// WriteSplit writes the chunks one by one with a pause between them, so
// the client sees them in separate reads. It stops at the first error: the
// client hanging up is up to the test to judge.
func WriteSplit(c net.Conn, chunks ...string) {
	for i, ch := range chunks {
		if i > 0 {
			time.Sleep(pause)
		}
		if _, err := io.WriteString(c, ch); err != nil {
			return
		}
	}
}

// Step is one move of a script; build it with Say, Hear, HearBytes,
// HangUp or StartTLS.
type Step struct {
	send   string      // bytes to write, as they are
	expect string      // a line the client must send next (without CRLF)
	exact  string      // bytes the client must send next, as they are
	close  bool        // hang up
	tls    *tls.Config // start TLS as the server
}

// Say writes s as it is; consecutive Says are separate writes with a pause
// between them.
func Say(s string) Step { return Step{send: s} }

// Hear expects the client's next line to be line plus CRLF.
func Hear(line string) Step { return Step{expect: line} }

// HearBytes expects the client's next bytes to be b exactly.
func HearBytes(b string) Step { return Step{exact: b} }

// HangUp closes the connection at once, possibly mid-response.
func HangUp() Step { return Step{close: true} }

// StartTLS runs a server-side TLS handshake with c; later steps go over TLS.
func StartTLS(c *tls.Config) Step { return Step{tls: c} }

// Play listens on 127.0.0.1:0 and plays steps to the first client. A
// client that sends something else than expected fails the test. After the
// last step the server waits for the client to hang up, as a real server
// would, unless the script ends with HangUp.
func Play(t testing.TB, steps ...Step) *Server {
	t.Helper()
	return accept(t, func(srv *Server, conn net.Conn, r *bufio.Reader) {
		c := conn
		for i, s := range steps {
			_ = c.SetDeadline(time.Now().Add(ioTimeout))
			switch {
			case s.close:
				return
			case s.tls != nil:
				tc := tls.Server(c, s.tls)
				if err := tc.Handshake(); err != nil {
					t.Errorf("fake server: TLS handshake: %v", err)
					return
				}
				c = tc
				r = bufio.NewReader(io.TeeReader(tc, &srv.received))
			case s.send != "":
				if i > 0 && steps[i-1].send != "" {
					time.Sleep(pause)
				}
				if _, err := io.WriteString(c, s.send); err != nil {
					t.Errorf("fake server: write: %v", err)
					return
				}
			case s.exact != "":
				got := make([]byte, len(s.exact))
				if _, err := io.ReadFull(r, got); err != nil || string(got) != s.exact {
					t.Errorf("fake server: client sent %q (%v), want %q", got, err, s.exact)
					return
				}
			default:
				got, err := r.ReadString('\n')
				if err != nil {
					t.Errorf("fake server: waiting for %q: %v", s.expect, err)
					return
				}
				if want := s.expect + "\r\n"; got != want {
					t.Errorf("fake server: client sent %q, want %q", got, want)
					return
				}
			}
		}
		_ = c.SetDeadline(time.Now().Add(ioTimeout))
		_, _ = io.Copy(io.Discard, r)
	})
}
