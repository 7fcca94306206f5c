package smtp_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols"
	"github.com/wirebook/wirebook/protocols/smtp"
	"github.com/wirebook/wirebook/protocols/smtp/smtpd"
	"github.com/wirebook/wirebook/protocols/smtp/smtpd/smtpdtest"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

var ehloPlain = []string{
	"S: 250-mail.example.com",
	"S: 250-PIPELINING",
	"S: 250-SIZE 10485760",
	"S: 250-8BITMIME",
	"S: 250 ENHANCEDSTATUSCODES",
}

func TestInfo(t *testing.T) {
	got := smtp.Protocol{}.Info()
	want := protocols.Info{Name: "smtp", Port: 25, TLSName: "smtps", TLSPort: 465}
	if got != want {
		t.Errorf("Info() = %+v, want %+v", got, want)
	}
}

func TestSendMailToEmbeddedServer(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{})
	w, err := session(t, lab.Addr, nil, false,
		"EHLO client.example.org",
		"MAIL FROM:<bob@example.com>",
		"RCPT TO:<alice@example.com>",
		"RCPT TO:<carol@example.com>",
		"DATA",
		"Subject: hello",
		"",
		"..a stuffed dot",
		".",
		"QUIT",
	)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := append([]string{
		"S: 220 mail.example.com ESMTP wirebook lab server",
		"C: EHLO client.example.org",
	}, ehloPlain...)
	want = append(want,
		"C: MAIL FROM:<bob@example.com>",
		"S: 250 2.1.0 Ok",
		"C: RCPT TO:<alice@example.com>",
		"S: 250 2.1.5 Ok",
		"C: RCPT TO:<carol@example.com>",
		"S: 550 5.1.1 <carol@example.com>: Recipient address rejected: User unknown in local recipient table",
		"C: DATA",
		"S: 354 End data with <CR><LF>.<CR><LF>",
		"C: Subject: hello",
		"C: ",
		"C: ..a stuffed dot",
		"C: .",
		"S: 250 2.0.0 Ok: queued as Q00001",
		"C: QUIT",
		"S: 221 2.0.0 Bye",
		"N: connection closed by the server",
	)
	checkTranscript(t, w, want)
	msgs := lab.Inbox(t, "alice")
	if len(msgs) != 1 || !strings.HasSuffix(string(msgs[0].Data), "\r\nSubject: hello\r\nMessage-Id: <20260105090000.Q00001@mail.example.com>\r\nDate: Mon,  5 Jan 2026 09:00:00 +0000 (UTC)\r\n\r\n.a stuffed dot\r\n") {
		t.Errorf("alice's INBOX = %v, want the message with its dot unstuffed", msgs)
	}
}

func TestPipelinedGroup(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{})
	w, err := session(t, lab.Addr, nil, false,
		"EHLO client.example.org",
		"MAIL FROM:<bob@example.com>",
		"+RCPT TO:<alice@example.com>",
		"+RCPT TO:<bob@example.com>",
		"+DATA",
		"Subject: pipelined",
		".",
		// Every recipient refused: DATA gets 503, and the dialogue goes on.
		"MAIL FROM:<bob@example.com>",
		"+RCPT TO:<carol@example.com>",
		"+DATA",
		"RSET",
		"+QUIT",
	)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := append([]string{
		"S: 220 mail.example.com ESMTP wirebook lab server",
		"C: EHLO client.example.org",
	}, ehloPlain...)
	want = append(want,
		"C: MAIL FROM:<bob@example.com>",
		"C: RCPT TO:<alice@example.com>",
		"C: RCPT TO:<bob@example.com>",
		"C: DATA",
		"S: 250 2.1.0 Ok",
		"S: 250 2.1.5 Ok",
		"S: 250 2.1.5 Ok",
		"S: 354 End data with <CR><LF>.<CR><LF>",
		"C: Subject: pipelined",
		"C: .",
		"S: 250 2.0.0 Ok: queued as Q00001",
		"C: MAIL FROM:<bob@example.com>",
		"C: RCPT TO:<carol@example.com>",
		"C: DATA",
		"S: 250 2.1.0 Ok",
		"S: 550 5.1.1 <carol@example.com>: Recipient address rejected: User unknown in local recipient table",
		"S: 503 5.5.1 Error: need RCPT command",
		"C: RSET",
		"C: QUIT",
		"S: 250 2.0.0 Ok",
		"S: 221 2.0.0 Bye",
		"N: connection closed by the server",
	)
	checkTranscript(t, w, want)
	if n := len(lab.Inbox(t, "bob")); n != 1 {
		t.Errorf("bob has %d messages, want 1", n)
	}
}

func TestSTARTTLSAndAuth(t *testing.T) {
	bundle, _ := smtpdtest.TLS(t)
	lab := smtpdtest.Start(t, smtpd.Config{TLS: bundle.ServerConfig()})
	w, err := session(t, lab.Addr, bundle.ClientConfig("mail.example.com"), false,
		"EHLO client.example.org",
		"STARTTLS",
		"EHLO client.example.org",
		"AUTH LOGIN",
		b64("alice"),
		b64("wrong")+"|********",
		"AUTH PLAIN "+b64("\x00alice\x00alice-pw")+"|AUTH PLAIN ********",
		"MAIL FROM:<alice@example.com>",
		"RCPT TO:<bob@example.com>",
		"DATA",
		"Subject: over TLS",
		".",
		"QUIT",
	)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := []string{
		"S: 220 mail.example.com ESMTP wirebook lab server",
		"C: EHLO client.example.org",
		"S: 250-mail.example.com",
		"S: 250-PIPELINING",
		"S: 250-SIZE 10485760",
		"S: 250-8BITMIME",
		"S: 250-ENHANCEDSTATUSCODES",
		"S: 250 STARTTLS",
		"C: STARTTLS",
		"S: 220 2.0.0 Ready to start TLS",
		"N: TLS 1.3",
		"C: EHLO client.example.org",
		"S: 250-mail.example.com",
		"S: 250-PIPELINING",
		"S: 250-SIZE 10485760",
		"S: 250-8BITMIME",
		"S: 250-ENHANCEDSTATUSCODES",
		"S: 250 AUTH PLAIN LOGIN",
		"C: AUTH LOGIN",
		"S: 334 VXNlcm5hbWU6",
		"C: YWxpY2U=",
		"S: 334 UGFzc3dvcmQ6",
		"C: ********",
		"S: 535 5.7.8 Authentication credentials invalid",
		"C: AUTH PLAIN ********",
		"S: 235 2.7.0 Authentication successful",
		"C: MAIL FROM:<alice@example.com>",
		"S: 250 2.1.0 Ok",
		"C: RCPT TO:<bob@example.com>",
		"S: 250 2.1.5 Ok",
		"C: DATA",
		"S: 354 End data with <CR><LF>.<CR><LF>",
		"C: Subject: over TLS",
		"C: .",
		"S: 250 2.0.0 Ok: queued as Q00001",
		"C: QUIT",
		"S: 221 2.0.0 Bye",
		"N: connection closed by the server",
	}
	checkTranscript(t, w, want)
	msgs := lab.Inbox(t, "bob")
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Data), "with ESMTPSA id Q00001") {
		t.Errorf("bob's INBOX = %v, want one message received with ESMTPSA", msgs)
	}
}

func TestImplicitTLSWithPlainContinuation(t *testing.T) {
	bundle, _ := smtpdtest.TLS(t)
	lab := smtpdtest.StartImplicitTLS(t, smtpd.Config{TLS: bundle.ServerConfig()})
	w, err := session(t, lab.Addr, bundle.ClientConfig("127.0.0.1"), true,
		"EHLO client.example.org",
		"AUTH PLAIN",
		b64("\x00bob\x00bob-pw")+"|********",
		"QUIT",
	)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := transcript(w.Events())
	want := []string{
		"C: AUTH PLAIN",
		"S: 334 ",
		"C: ********",
		"S: 235 2.7.0 Authentication successful",
		"C: QUIT",
		"S: 221 2.0.0 Bye",
		"N: connection closed by the server",
	}
	if len(got) < len(want) || strings.Join(got[len(got)-len(want):], "\n") != strings.Join(want, "\n") {
		t.Errorf("transcript ends\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got[0] != "N: TLS 1.3" || got[1] != "S: 220 mail.example.com ESMTP wirebook lab server" {
		t.Errorf("transcript starts %q, want the TLS note then the greeting", got[:2])
	}
}
