package fakeserver

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols/labtls"
)

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

func TestPlayScriptAndHangUpMidResponse(t *testing.T) {
	srv := Play(t, Say("+OK hel"), Say("lo\r\n"), Hear("LIST"), HearBytes("x"), Say("+OK 2 mess"), HangUp())
	c := dial(t, srv.Addr)
	defer c.Close()
	r := bufio.NewReader(c)
	if got, err := r.ReadString('\n'); got != "+OK hello\r\n" {
		t.Fatalf("greeting = %q (%v), want the two writes joined", got, err)
	}
	io.WriteString(c, "LIST\r\nx")
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "+OK 2 mess" {
		t.Errorf("rest = %q (%v), want the partial reply then the close", got, err)
	}
	if got, want := srv.Received(), "LIST\r\nx"; got != want {
		t.Errorf("Received() = %q, want %q", got, want)
	}
}

func TestPlayWaitsForClientAfterScript(t *testing.T) {
	srv := Play(t, Say("hi\r\n"))
	c := dial(t, srv.Addr)
	r := bufio.NewReader(c)
	r.ReadString('\n')
	io.WriteString(c, "after the script\r\n")
	c.Close()
	if got, want := srv.Received(), "after the script\r\n"; got != want {
		t.Errorf("Received() = %q, want %q", got, want)
	}
}

func TestPlayStartTLS(t *testing.T) {
	b, err := labtls.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := Play(t, Say("ready\r\n"), StartTLS(b.ServerConfig()), Hear("secret"), Say("ok\r\n"))
	raw := dial(t, srv.Addr)
	r := bufio.NewReader(raw)
	if got, _ := r.ReadString('\n'); got != "ready\r\n" {
		t.Fatalf("before TLS got %q", got)
	}
	c := tls.Client(raw, b.ClientConfig("mail.example.com"))
	io.WriteString(c, "secret\r\n")
	if got, err := bufio.NewReader(c).ReadString('\n'); got != "ok\r\n" {
		t.Errorf("after TLS got %q (%v), want ok", got, err)
	}
	c.Close()
	if got, want := srv.Received(), "secret\r\n"; got != want {
		t.Errorf("Received() = %q, want the decrypted %q", got, want)
	}
}

func TestAcceptWriteSplit(t *testing.T) {
	srv := Accept(t, func(c net.Conn, r *bufio.Reader) {
		line, _ := r.ReadString('\n')
		WriteSplit(c, "you said ", line)
	})
	c := dial(t, srv.Addr)
	defer c.Close()
	io.WriteString(c, "hi\r\n")
	if got, err := io.ReadAll(c); string(got) != "you said hi\r\n" {
		t.Errorf("reply = %q (%v)", got, err)
	}
}
