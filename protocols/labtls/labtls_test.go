package labtls

import (
	"bytes"
	"crypto/tls"
	"testing"
)

func TestLoadGeneratesOnceAndReuses(t *testing.T) {
	dir := t.TempDir()
	first, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.CAPEM, second.CAPEM) {
		t.Errorf("second Load made a new CA; want the stored one reused")
	}
}

func TestHandshakeVerifiesAgainstLabCA(t *testing.T) {
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", b.ServerConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	c, err := tls.Dial("tcp", l.Addr().String(), b.ClientConfig("mail.example.com"))
	if err != nil {
		t.Fatalf("handshake with lab CA: %v", err)
	}
	c.Close()

	other, _ := New()
	_, err = tls.Dial("tcp", l.Addr().String(), other.ClientConfig("mail.example.com"))
	if err == nil {
		t.Errorf("handshake trusting another CA succeeded; want a verification error")
	}
}
