package smtpd

import (
	"bytes"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols/mailstore"
)

// memConn is a connection whose client side is a fixed input: reads return
// it and then EOF; writes are collected.
type memConn struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func (c *memConn) Read(p []byte) (int, error)       { return c.in.Read(p) }
func (c *memConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *memConn) Close() error                     { return nil }
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

var replyLine = regexp.MustCompile(`^[2-5][0-9][0-9][ -][^\r\n]*$`)

// FuzzSession feeds arbitrary client bytes to a session and checks that
// the server only ever answers with well-formed reply lines.
func FuzzSession(f *testing.F) {
	for _, seed := range []string{
		"EHLO x\r\nMAIL FROM:<bob@example.com> SIZE=10\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n..hi\r\n.\r\nQUIT\r\n",
		"HELO x\nMAIL FROM:<>\nRCPT TO:<@a,@b:alice@example.com>\nDATA\nx\n.\n",
		"EHLO x\r\nAUTH PLAIN\r\nAGFsaWNlAGFsaWNlLXB3\r\nAUTH LOGIN\r\n*\r\n",
		"EHLO x\r\nAUTH LOGIN YWxpY2U=\r\n=\r\nSTARTTLS\r\n",
		"VRFY a\rb\x00c\r\nEHLO a\rb\r\n",
		"MAIL FROM:<a@b\r\nRCPT\r\n\r\nVRFY\r\nHELP\r\nRSET x\r\n" + strings.Repeat("A", 300) + "\r\n",
		"EHLO x\r\nMAIL FROM:<bob@example.com>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n" + strings.Repeat("B", 300) + "\r\n.\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		store := mailstore.New(mailstore.Config{Clock: mailstore.NewStepClock(), MaxMessage: 1024})
		srv := New(Config{Store: store, AllowInsecureAuth: true, MaxLine: 200, MaxMessageSize: 512, MaxErrors: 50})
		conn := &memConn{in: bytes.NewReader(input)}
		newSession(srv, conn).run()
		out := conn.out.String()
		if !strings.HasSuffix(out, "\r\n") {
			t.Fatalf("output %q does not end in CRLF", out)
		}
		for _, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
			if !replyLine.MatchString(line) {
				t.Fatalf("malformed reply line %q in output %q", line, out)
			}
		}
	})
}

func FuzzParsePath(f *testing.F) {
	for _, seed := range []string{
		"FROM:<bob@example.com> SIZE=10 BODY=8BITMIME", "TO:<alice@example.com>", "FROM:<>",
		"from: <a@b>", "TO:<@x,@y:a@b>", "FROM:<a@b>x", "TO:a@b", "FROM:<", "FROM:a@b SIZE=1", "TO: a@b>",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		for _, prefix := range []string{"FROM:", "TO:"} {
			addr, params, err := parsePath(arg, prefix)
			if err != nil {
				continue
			}
			if strings.ContainsAny(addr, "<>") && validAddress(addr) {
				t.Errorf("parsePath(%q) address %q has angle brackets yet is valid", arg, addr)
			}
			for _, p := range params {
				if p == "" || strings.Contains(p, " ") {
					t.Errorf("parsePath(%q) parameter %q", arg, p)
				}
			}
			_, _ = parseMailParams(params)
		}
	})
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		arg, prefix string
		addr        string
		params      []string
		ok          bool
	}{
		{"FROM:<bob@example.com>", "FROM:", "bob@example.com", nil, true},
		{"from: <bob@example.com>  SIZE=1 BODY=7BIT", "FROM:", "bob@example.com", []string{"SIZE=1", "BODY=7BIT"}, true},
		{"FROM:<>", "FROM:", "", nil, true},
		{"TO:<@a.example,@b.example:alice@example.com>", "TO:", "alice@example.com", nil, true},
		// Without brackets, as Postfix accepts by default.
		{"TO:alice@example.com", "TO:", "alice@example.com", nil, true},
		{"FROM: bob@example.com SIZE=1", "FROM:", "bob@example.com", []string{"SIZE=1"}, true},
		{"FROM:", "FROM:", "", nil, false},
		{"FROM:   ", "FROM:", "", nil, false},
		{"TO:<alice@example.com", "TO:", "", nil, false},
		{"TO:<alice@example.com>NOTIFY=NEVER", "TO:", "", nil, false},
		{"FROM<a@b>", "FROM:", "", nil, false},
		{"", "TO:", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			addr, params, err := parsePath(tt.arg, tt.prefix)
			if (err == nil) != tt.ok {
				t.Fatalf("parsePath(%q) error = %v, want ok %v", tt.arg, err, tt.ok)
			}
			if addr != tt.addr || strings.Join(params, "|") != strings.Join(tt.params, "|") {
				t.Errorf("parsePath(%q) = %q, %q; want %q, %q", tt.arg, addr, params, tt.addr, tt.params)
			}
		})
	}
}
