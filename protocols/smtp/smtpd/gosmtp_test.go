package smtpd_test

import (
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/wirebook/wirebook/protocols/smtp/smtpd"
	"github.com/wirebook/wirebook/protocols/smtp/smtpd/smtpdtest"
)

// TestGoSMTPClient sends with go-smtp's client: after AUTH it adds the
// RFC 4954 AUTH= parameter to MAIL, which Postfix accepts (issue 12).
func TestGoSMTPClient(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{AllowInsecureAuth: true})
	c, err := smtp.Dial(lab.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	steps := []struct {
		what string
		err  error
	}{
		{"EHLO", c.Hello("client.example.org")},
		{"NOOP", c.Noop()},
		{"AUTH PLAIN", c.Auth(sasl.NewPlainClient("", "bob", "bob-pw"))},
		{"RSET", c.Reset()},
	}
	for _, st := range steps {
		if st.err != nil {
			t.Fatalf("%s: %v", st.what, st.err)
		}
	}
	// 252, as from Postfix: go-smtp calls every code but 250 an error.
	if err := c.Verify("alice@example.com"); err == nil || !strings.Contains(err.Error(), "252") {
		t.Errorf("VRFY = %v, want 252", err)
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		t.Errorf("EHLO does not offer AUTH")
	}
	sender := "bob@example.com"
	if err := c.Mail(sender, &smtp.MailOptions{Auth: &sender, Body: smtp.Body8BitMIME, Size: 40}); err != nil {
		t.Fatalf("MAIL FROM with AUTH=: %v", err)
	}
	if err := c.Rcpt("alice@example.com", nil); err != nil {
		t.Fatalf("RCPT: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	w.Write([]byte("Subject: via go-smtp\r\n\r\n.dot\r\n"))
	if err := w.Close(); err != nil {
		t.Fatalf("end of DATA: %v", err)
	}
	if err := c.SendMail(sender, []string{"alice@example.com"}, strings.NewReader("Subject: second\r\n\r\nx\r\n")); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatalf("QUIT: %v", err)
	}
	msgs := lab.Inbox(t, "alice")
	if len(msgs) != 2 || !strings.Contains(string(msgs[0].Data), "with ESMTPA id Q00001") || !strings.HasSuffix(string(msgs[0].Data), "\r\n\r\n.dot\r\n") {
		t.Errorf("alice's INBOX = %v", msgs)
	}
}
