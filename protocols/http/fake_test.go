package http

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols"
)

// step is one move of a scripted fake server.
type step struct {
	send   string // bytes to write, as they are
	expect string // a line the client must send next (without CRLF)
	exact  string // bytes the client must send next, as they are
	close  bool   // hang up
}

func say(s string) step       { return step{send: s} }
func hear(line string) step   { return step{expect: line} }
func hangUp() step            { return step{close: true} }
func hearBytes(b string) step { return step{exact: b} }

// fakeServer listens on 127.0.0.1:0 and plays steps to the first client.
// Consecutive sends are separate writes with a pause between, so the client
// sees them in separate reads.
func fakeServer(t *testing.T, steps ...step) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { l.Close(); <-done })
	go func() {
		defer close(done)
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		c := conn
		r := bufio.NewReader(c)
		for i, s := range steps {
			switch {
			case s.close:
				return
			case s.send != "":
				if i > 0 && steps[i-1].send != "" {
					time.Sleep(5 * time.Millisecond)
				}
				if _, err := io.WriteString(c, s.send); err != nil {
					t.Errorf("fake server: write: %v", err)
					return
				}
			case s.exact != "":
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				got := make([]byte, len(s.exact))
				if _, err := io.ReadFull(r, got); err != nil || string(got) != s.exact {
					t.Errorf("fake server: client sent %q (%v), want %q", got, err, s.exact)
					return
				}
			default:
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
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
		// Stay until the client hangs up, as a real server would.
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.Copy(io.Discard, r)
	}()
	return l.Addr().String()
}

// script builds client lines; a "C+ " prefix marks a pipelined line.
func script(texts ...string) *protocols.Script {
	var lines []protocols.ClientLine
	for i, text := range texts {
		l := protocols.ClientLine{Source: i + 1}
		if rest, ok := strings.CutPrefix(text, "C+ "); ok {
			text, l.Pipelined = rest, true
		}
		l.Text, l.Display = text, text
		lines = append(lines, l)
	}
	return protocols.NewScript(lines)
}

// run dials addr and plays s with Protocol, returning the transcript. With
// a TLS configuration the session starts with a handshake, as for https.
func run(t *testing.T, addr string, s *protocols.Script, tlsConfig *tls.Config) ([]string, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	w := protocols.NewWire(conn, tlsConfig, protocols.Limits{ReadTimeout: 5 * time.Second})
	if tlsConfig != nil {
		if err := w.StartTLS(); err != nil {
			t.Fatal(err)
		}
	}
	err = Protocol{}.Run(context.Background(), &protocols.Session{Wire: w, Script: s})
	w.Close()
	return transcript(w.Events()), err
}

// transcript shows events one per line: "C: " client, "S: " server,
// "N: " note; lower-case "c: "/"s: " for payload lines, and a trailing
// "⏎" missing on lines without a line end.
func transcript(events []protocols.Event) []string {
	var out []string
	for _, e := range events {
		k := e.Kind.String()
		if e.Payload {
			k = strings.ToLower(k)
		}
		line := k + ": " + e.Text
		if e.NoEOL {
			line += " (no line end)"
		}
		out = append(out, line)
	}
	return out
}

func diffLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("transcript:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
