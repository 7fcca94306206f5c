package imap

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols"
	"github.com/wirebook/wirebook/protocols/internal/fakeserver"
)

// Short names for the fake server's script steps, to keep tables readable.
type step = fakeserver.Step

var (
	say      = fakeserver.Say
	hear     = fakeserver.Hear
	hangUp   = fakeserver.HangUp
	serveTLS = fakeserver.StartTLS
)

// fakeServer plays steps to the first client on 127.0.0.1 and returns the
// address to dial.
func fakeServer(t *testing.T, steps ...fakeserver.Step) string {
	t.Helper()
	return fakeserver.Play(t, steps...).Addr
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

// run dials addr and plays s with Protocol, returning the transcript.
func run(t *testing.T, addr string, s *protocols.Script, tlsConfig *tls.Config) ([]string, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	w := protocols.NewWire(conn, tlsConfig, protocols.Limits{ReadTimeout: 5 * time.Second})
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
