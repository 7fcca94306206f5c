package imap

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols/imap/imapd"
	"github.com/wirebook/wirebook/protocols/labtls"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

// TestAgainstIMAPD plays a session with every dialogue rule against the
// embedded server: STARTTLS, AUTHENTICATE with a continuation, APPEND with
// a synchronizing and a LITERAL+ literal, a FETCH answered with a literal,
// a pipelined group, IDLE and LOGOUT.
func TestAgainstIMAPD(t *testing.T) {
	b, err := labtls.New()
	if err != nil {
		t.Fatal(err)
	}
	store := mailstore.New(mailstore.Config{Clock: mailstore.NewStepClock()})
	srv := imapd.New(imapd.Config{Store: store, TLS: b.ServerConfig()})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	// Joined with CRLF, the lines make a message ending in CRLF: the
	// literal ends at the start of the last, empty line, whose CRLF ends
	// the APPEND command.
	message := []string{"Subject: hi", "", "a1 OK this line is inside the literal", ""}
	size := len(strings.Join(message, "\r\n"))
	lines := []string{
		"a1 STARTTLS",
		"a2 AUTHENTICATE PLAIN",
		"AGFsaWNlAGFsaWNlLXB3", // \0alice\0alice-pw
		"a3 APPEND INBOX {" + strconv.Itoa(size) + "}",
	}
	lines = append(lines, message...)
	lines = append(lines,
		"a4 APPEND INBOX (\\Seen) {5+}",
		"hello",
		"a5 SELECT INBOX",
		"a6 FETCH 1 BODY[]",
		"a7 NOOP",
		"C+ a8 FETCH 2 (FLAGS)",
		"C+ a9 NOOP",
		"a10 IDLE",
		"DONE",
		"a11 LOGOUT",
	)
	got, err := run(t, l.Addr().String(), script(lines...), b.ClientConfig("localhost"))
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, strings.Join(got, "\n"))
	}
	text := strings.Join(got, "\n")
	for i := 1; i <= 11; i++ {
		if !strings.Contains(text, "\nS: a"+strconv.Itoa(i)+" OK") {
			t.Errorf("no tagged OK for a%d in:\n%s", i, text)
		}
	}
	for _, want := range []string{
		"\nN: TLS 1.3",
		"\nS: + ",
		"\nC: a3 APPEND INBOX {" + strconv.Itoa(size) + "}\nS: + ",
		"\ns: a1 OK this line is inside the literal\n",
		"\nC: a10 IDLE\nS: + ",
		"\nN: connection closed by the server",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("transcript lacks %q:\n%s", want, text)
		}
	}
}
