package smtpd_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// rawClient speaks SMTP by hand so tests can check every byte the server
// sends, including what real clients would hide.
type rawClient struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dial(t testing.TB, addr string) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return newRawClient(t, conn)
}

func dialTLS(t testing.TB, addr string, cfg *tls.Config) *rawClient {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return newRawClient(t, conn)
}

func newRawClient(t testing.TB, conn net.Conn) *rawClient {
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// send writes the lines, each with CRLF, in one write.
func (c *rawClient) send(lines ...string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n")); err != nil {
		c.t.Fatalf("send %q: %v", lines, err)
	}
}

// reply reads one complete reply and returns its lines joined by "\n".
// Every line must end in CRLF.
func (c *rawClient) reply() string {
	c.t.Helper()
	var lines []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("reading reply after %q: %v (partial %q)", lines, err, line)
		}
		if !strings.HasSuffix(line, "\r\n") {
			c.t.Fatalf("reply line %q does not end in CRLF", line)
		}
		line = strings.TrimSuffix(line, "\r\n")
		lines = append(lines, line)
		if len(line) < 4 || line[3] == ' ' {
			return strings.Join(lines, "\n")
		}
	}
}

// expect reads one reply and fails unless it is want.
func (c *rawClient) expect(want string) {
	c.t.Helper()
	if got := c.reply(); got != want {
		c.t.Fatalf("reply = %q, want %q", got, want)
	}
}

// step sends one line and checks the reply.
func (c *rawClient) step(send, want string) {
	c.t.Helper()
	c.send(send)
	if got := c.reply(); got != want {
		c.t.Fatalf("%q: reply = %q, want %q", send, got, want)
	}
}

// expectClosed fails unless the server closes the connection with nothing
// more to say.
func (c *rawClient) expectClosed() {
	c.t.Helper()
	rest, err := c.r.ReadString('\n')
	if !errors.Is(err, io.EOF) || rest != "" {
		c.t.Fatalf("after the last reply: read %q, %v; want the connection closed", rest, err)
	}
}

// conversation is a dialogue to replay: client lines and the replies they
// must get.
type conversation []struct{ send, want string }

func (c *rawClient) play(conv conversation) {
	c.t.Helper()
	for _, st := range conv {
		c.step(st.send, st.want)
	}
}
