package pop3

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols"
)

// replayConn is a server that sends fixed bytes whatever the client says.
type replayConn struct {
	net.Conn // unused methods panic
	in       *bytes.Reader
}

func (c *replayConn) Read(p []byte) (int, error)       { return c.in.Read(p) }
func (c *replayConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *replayConn) SetReadDeadline(time.Time) error  { return nil }
func (c *replayConn) SetWriteDeadline(time.Time) error { return nil }
func (c *replayConn) Close() error                     { return nil }

// FuzzResponseReader runs the client over arbitrary server bytes: it must
// not panic or hang, and the transcript must be exactly the bytes it read.
func FuzzResponseReader(f *testing.F) {
	seeds := []struct{ server, script string }{
		{"+OK hi\r\n+OK 2 messages\r\n1 10\r\n2 20\r\n.\r\n", "LIST"},
		{"+OK hi\r\n+OK 9 octets\r\n..\r\n...x\r\n.\r\n", "RETR 1"},
		{"+OK hi\r\n+ \r\n+OK in\r\n", "AUTH PLAIN\nAGFAYg=="},
		{"+OK hi\r\n-ERR no\r\n+OK bye\r\n", "RETR 1\nQUIT"},
		{"+OK hi\r\n220 what\r\n", "STAT"},
		{"+OK hi\r\n+OK\r\nTOP\r\n", "CAPA"},
		{"+OK\n+OK 1 2\n", "+STAT\n+UIDL 1"},
	}
	for _, s := range seeds {
		f.Add([]byte(s.server), s.script)
	}
	f.Fuzz(func(t *testing.T, server []byte, script string) {
		var cls []protocols.ClientLine
		for _, text := range strings.Split(script, "\n") {
			l := protocols.ClientLine{Text: text, Display: text}
			if strings.HasPrefix(text, "+") {
				l.Pipelined, l.Text, l.Display = true, text[1:], text[1:]
			}
			cls = append(cls, l)
		}
		w := protocols.NewWire(&replayConn{in: bytes.NewReader(server)}, nil, protocols.Limits{MaxLine: 1024})
		_ = Protocol{}.Run(context.Background(), &protocols.Session{Wire: w, Script: protocols.NewScript(cls)})
		var shown bytes.Buffer
		for _, e := range w.Events() {
			if e.Kind != protocols.Server {
				continue
			}
			shown.WriteString(e.Text)
			if !e.NoEOL {
				shown.WriteString("\n")
			}
		}
		sent := bytes.ReplaceAll(server, []byte("\r\n"), []byte("\n"))
		if !bytes.HasPrefix(sent, shown.Bytes()) {
			t.Errorf("transcript %q is not what the server sent (%q)", shown.Bytes(), sent)
		}
	})
}
