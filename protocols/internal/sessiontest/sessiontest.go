// Package sessiontest runs a client protocol against a test server and
// shows the recorded transcript one event per line, for the client tests
// of the protocol packages. Use it from _test.go files only.
package sessiontest

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols"
)

// Script builds client lines numbered from 1; a "C+ " prefix marks a line
// pipelined after the previous one.
func Script(texts ...string) *protocols.Script {
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

// Run dials addr and plays s with p, returning the transcript and Run's
// error. tlsConfig is the client's TLS configuration; with implicitTLS
// the session starts with a handshake, as for https or imaps.
func Run(t testing.TB, p protocols.Protocol, addr string, s *protocols.Script, tlsConfig *tls.Config, implicitTLS bool) ([]string, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	w := protocols.NewWire(conn, tlsConfig, protocols.Limits{ReadTimeout: 5 * time.Second})
	if implicitTLS {
		if err := w.StartTLS(); err != nil {
			t.Fatal(err)
		}
	}
	err = p.Run(context.Background(), &protocols.Session{Wire: w, Script: s})
	w.Close()
	return Transcript(w.Events()), err
}

// Transcript shows events one per line: "C: " client, "S: " server,
// "N: " note; lower-case "c: "/"s: " for payload lines, and
// " (no line end)" after a line that had none.
func Transcript(events []protocols.Event) []string {
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

// DiffLines fails the test when got and want differ, showing both whole.
func DiffLines(t testing.TB, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("transcript:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// FuzzRun plays s with p against a server that sends data and hangs up, and
// fails t if the client records more server bytes than were sent, or claims
// success without playing the whole script. Panics and hangs fail the fuzz
// run by themselves.
func FuzzRun(t *testing.T, p protocols.Protocol, s *protocols.Script, data []byte) {
	client, server := net.Pipe()
	go func() {
		go func() { _, _ = io.Copy(io.Discard, server) }() // net.Pipe is unbuffered
		_, _ = server.Write(data)
		server.Close()
	}()
	w := protocols.NewWire(client, nil, protocols.Limits{MaxBytes: 1 << 16, ReadTimeout: 2 * time.Second})
	err := p.Run(context.Background(), &protocols.Session{Wire: w, Script: s})
	w.Close()
	read := 0
	for _, e := range w.Events() {
		if e.Kind == protocols.Server {
			read += len(e.Text)
		}
	}
	if read > len(data) {
		t.Errorf("recorded %d server bytes, only %d were sent", read, len(data))
	}
	if err == nil && s.More() {
		t.Errorf("Run returned nil with %d script lines unsent", len(s.Remaining()))
	}
}
