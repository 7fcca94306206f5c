package smtp_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols"
	"github.com/wirebook/wirebook/protocols/internal/fakeserver"
	"github.com/wirebook/wirebook/protocols/smtp"
)

// script builds client lines: a leading "+" marks a line pipelined after
// the previous one; "text|shown" gives a masked Display text.
func script(lines ...string) *protocols.Script {
	var out []protocols.ClientLine
	for i, l := range lines {
		piped := strings.HasPrefix(l, "+")
		l = strings.TrimPrefix(l, "+")
		text, shown, masked := strings.Cut(l, "|")
		if !masked {
			shown = text
		}
		out = append(out, protocols.ClientLine{Text: text, Display: shown, Source: i + 1, Pipelined: piped})
	}
	return protocols.NewScript(out)
}

// session dials addr and runs the SMTP client over it with lines as the
// script. implicitTLS starts TLS before the greeting, as for smtps.
func session(t *testing.T, addr string, tlsConfig *tls.Config, implicitTLS bool, lines ...string) (*protocols.Wire, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	w := protocols.NewWire(conn, tlsConfig, protocols.Limits{ReadTimeout: 5 * time.Second})
	t.Cleanup(func() { w.Close() })
	if implicitTLS {
		if err := w.StartTLS(); err != nil {
			t.Fatalf("implicit TLS: %v", err)
		}
	}
	return w, smtp.Protocol{}.Run(context.Background(), &protocols.Session{Wire: w, Script: script(lines...)})
}

// transcript renders events as "C: text" lines; TLS notes are cut after
// the version since the cipher suite depends on the machine.
func transcript(events []protocols.Event) []string {
	var out []string
	for _, e := range events {
		text := e.Text
		if e.Kind == protocols.Note && strings.HasPrefix(text, "TLS ") {
			text, _, _ = strings.Cut(text, ",")
		}
		if e.NoEOL {
			text += " (no line end)"
		}
		out = append(out, e.Kind.String()+": "+text)
	}
	return out
}

func checkTranscript(t *testing.T, w *protocols.Wire, want []string) {
	t.Helper()
	got := transcript(w.Events())
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("transcript =\n%s\n\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// fakeServer accepts one connection on 127.0.0.1 and hands it to serve.
func fakeServer(t *testing.T, serve func(c net.Conn, r *bufio.Reader)) string {
	t.Helper()
	return fakeserver.Accept(t, serve).Addr
}

// writeSplit writes the chunks with a pause between them, so the client
// sees them in separate reads.
var writeSplit = fakeserver.WriteSplit
