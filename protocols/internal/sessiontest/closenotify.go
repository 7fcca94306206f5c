package sessiontest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// recorder keeps every byte read from the connection under TLS.
type recorder struct {
	net.Conn
	got bytes.Buffer
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.got.Write(p[:n])
	return n, err
}

// EndsWithCloseNotify reads the greeting at addr, upgrades with upgrade
// (a STARTTLS/STLS command line, answered in one line), says quit over TLS
// 1.2 (whose record headers show the type in clear) and reports whether
// the server's last TLS record before the close was an alert, its
// close_notify; a bare TCP close makes openssl s_client report
// "unexpected eof while reading".
func EndsWithCloseNotify(t testing.TB, addr string, cfg *tls.Config, upgrade, quit string) bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for _, send := range []string{"", upgrade} {
		if send != "" {
			if _, err := io.WriteString(c, send+"\r\n"); err != nil {
				t.Fatal(err)
			}
		}
		if line, err := br.ReadString('\n'); err != nil {
			t.Fatalf("after %q: %v", send, err)
		} else if send != "" && (strings.Contains(line, " BAD ") || strings.Contains(line, " NO ") || strings.HasPrefix(line, "-ERR") || strings.HasPrefix(line, "5")) {
			t.Fatalf("%s refused: %q", send, line)
		}
	}
	rec := &recorder{Conn: c}
	cfg = cfg.Clone()
	cfg.MaxVersion = tls.VersionTLS12
	tc := tls.Client(rec, cfg)
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if _, err := io.WriteString(tc, quit+"\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(tc); err != nil {
		t.Fatalf("reading to the end: %v", err)
	}
	var last byte
	for raw := rec.got.Bytes(); len(raw) >= 5; {
		n := 5 + int(binary.BigEndian.Uint16(raw[3:5]))
		if n > len(raw) {
			t.Fatalf("a TLS record cut short")
		}
		last, raw = raw[0], raw[n:]
	}
	return last == 21 // alert
}
