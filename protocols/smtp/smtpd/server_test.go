package smtpd_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols/mailstore"
	"github.com/wirebook/wirebook/protocols/smtp/smtpd"
	"github.com/wirebook/wirebook/protocols/smtp/smtpd/smtpdtest"
)

const greeting = "220 mail.example.com ESMTP wirebook lab server"

func TestEHLOCapabilities(t *testing.T) {
	bundle, _ := smtpdtest.TLS(t)
	tests := []struct {
		name string
		cfg  smtpd.Config
		want string
	}{
		{"plain, no TLS", smtpd.Config{},
			"250-mail.example.com\n250-PIPELINING\n250-SIZE 10485760\n250-8BITMIME\n250 ENHANCEDSTATUSCODES"},
		{"STARTTLS offered, AUTH held back", smtpd.Config{TLS: bundle.ServerConfig()},
			"250-mail.example.com\n250-PIPELINING\n250-SIZE 10485760\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250 STARTTLS"},
		{"insecure AUTH allowed", smtpd.Config{TLS: bundle.ServerConfig(), AllowInsecureAuth: true, Hostname: "mx.example.com", MaxMessageSize: 2048},
			"250-mx.example.com\n250-PIPELINING\n250-SIZE 2048\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250-STARTTLS\n250 AUTH PLAIN LOGIN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lab := smtpdtest.Start(t, tt.cfg)
			c := dial(t, lab.Addr)
			host := tt.cfg.Hostname
			if host == "" {
				host = "mail.example.com"
			}
			c.expect("220 " + host + " ESMTP wirebook lab server")
			c.step("EHLO client.example.org", tt.want)
			c.step("HELO client.example.org", "250 "+host)
			c.step("QUIT", "221 2.0.0 Bye")
			c.expectClosed()
		})
	}
}

func TestErrorRepliesKeepTheConnection(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{MaxErrors: 100})
	c := dial(t, lab.Addr)
	c.expect(greeting)
	c.play(conversation{
		// Like Postfix (smtpd_helo_required = no), MAIL needs no HELO first.
		{"MAIL FROM:<alice@example.com>", "250 2.1.0 Ok"},
		{"RSET", "250 2.0.0 Ok"},
		{"AUTH PLAIN AGFsaWNlAGFsaWNlLXB3", "503 5.5.1 Error: send EHLO first"},
		{"EHLO", "501 5.5.4 Syntax: EHLO hostname"},
		{"EHLO client.example.org", "250-mail.example.com\n250-PIPELINING\n250-SIZE 10485760\n250-8BITMIME\n250 ENHANCEDSTATUSCODES"},
		{"AUTH PLAIN AGFsaWNlAGFsaWNlLXB3", "503 5.5.1 Error: authentication not enabled"},
		{"RCPT TO:<alice@example.com>", "503 5.5.1 Error: need MAIL command"},
		{"DATA", "503 5.5.1 Error: need MAIL command"},
		{"FOO bar", "500 5.5.2 Error: command not recognized"},
		{"", "500 5.5.2 Error: bad syntax: empty command"},
		{"MAIL FROM:", "501 5.5.4 Syntax: MAIL FROM:<address>"},
		{"MAIL TO:<alice@example.com>", "501 5.5.4 Syntax: MAIL FROM:<address>"},
		{"MAIL FROM:<not an address>", "501 5.1.7 Bad sender address syntax: want <local@domain> or <>"},
		{"MAIL FROM:<bob@example.com> SIZE=big", "501 5.5.4 Bad SIZE parameter: want SIZE=<bytes>"},
		{"MAIL FROM:<bob@example.com> BODY=BINARYMIME", "501 5.5.4 Bad BODY parameter: want BODY=7BIT or BODY=8BITMIME"},
		{"MAIL FROM:<bob@example.com> SMTPUTF8", "555 5.5.4 Unsupported option: SMTPUTF8"},
		{"MAIL FROM:<bob@example.com> SIZE=99999999", "552 5.3.4 Message size exceeds fixed maximum message size"},
		{"MAIL FROM:<bob@example.com> AUTH=", "501 5.5.4 Bad AUTH parameter: want AUTH=<> or AUTH=address"},
		// RFC 4954's AUTH= (go-smtp, smtplib): accepted as by Postfix, login or not.
		{"MAIL FROM:<bob@example.com> AUTH=<>", "250 2.1.0 Ok"},
		{"RSET", "250 2.0.0 Ok"},
		{"MAIL FROM: <bob@example.com> SIZE=400 BODY=8BITMIME", "250 2.1.0 Ok"},
		{"MAIL FROM:<bob@example.com>", "503 5.5.1 Error: nested MAIL command"},
		{"DATA", "503 5.5.1 Error: need RCPT command"},
		{"RCPT TO:<nobody@example.net>", "554 5.7.1 <nobody@example.net>: Relay access denied"},
		{"RCPT TO:<carol@example.com>", "550 5.1.1 <carol@example.com>: Recipient address rejected: User unknown in local recipient table"},
		{"RCPT TO:<carol>", "501 5.1.3 Bad recipient address syntax: want <local@domain>"},
		{"RCPT TO:", "501 5.5.4 Syntax: RCPT TO:<address>"},
		{"RCPT TO:nobody@example.net", "554 5.7.1 <nobody@example.net>: Relay access denied"},
		{"RCPT TO:<alice@example.com> NOTIFY=NEVER", "555 5.5.4 Unsupported option: NOTIFY"},
		{"AUTH LOGIN", "503 5.5.1 Error: authentication not enabled"},
		{"STARTTLS", "502 5.5.1 Error: command not implemented"},
		{"DATA extra", "501 5.5.4 Syntax: DATA"},
		// VRFY applies the RCPT rules, as Postfix does, and a 252 never
		// confirms more than the address.
		{"VRFY alice@example.com", "252 2.0.0 <alice@example.com>"},
		{"VRFY <Bob@Example.COM>", "252 2.0.0 <Bob@Example.COM>"},
		{"VRFY alice", "252 2.0.0 <alice@example.com>"},
		{"VRFY nobody", "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table"},
		{"VRFY nobody@example.com", "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table"},
		{"VRFY someone@elsewhere.test", "554 5.7.1 <someone@elsewhere.test>: Relay access denied"},
		{"VRFY a b@example.com", "501 5.1.3 Bad recipient address syntax: want <local@domain>"},
		{"VRFY", "501 5.5.4 Syntax: VRFY address"},
		{"VRFY <>", "501 5.5.4 Syntax: VRFY address"},
		{"EXPN staff", "502 5.5.1 Error: command not implemented"},
		{"HELP", "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT STARTTLS AUTH"},
		{"noop", "250 2.0.0 Ok"},
		{"RSET now", "501 5.5.4 Syntax: RSET"},
		{"RSET", "250 2.0.0 Ok"},
		{"RCPT TO:<alice@example.com>", "503 5.5.1 Error: need MAIL command"},
		// Without angle brackets, as Postfix accepts by default
		// (strict_rfc821_envelopes = no).
		{"MAIL FROM:bob@example.com SIZE=400", "250 2.1.0 Ok"},
		{"RCPT TO:alice@example.com", "250 2.1.5 Ok"},
		{"QUIT", "221 2.0.0 Bye"},
	})
	c.expectClosed()
}

func TestHTTPRequestIsHungUpOn(t *testing.T) {
	for _, line := range []string{"GET / HTTP/1.1", "POST /login HTTP/1.1", "CONNECT mail.example.com:443 HTTP/1.1", "get /"} {
		t.Run(line, func(t *testing.T) {
			lab := smtpdtest.Start(t, smtpd.Config{})
			c := dial(t, lab.Addr)
			c.expect(greeting)
			c.send(line)
			c.expect("221 2.7.0 Error: this is an SMTP server, not a web server. Goodbye.")
			c.expectClosed()
		})
	}
}

func TestMailWithoutHelloIsDelivered(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{})
	c := dial(t, lab.Addr)
	c.expect(greeting)
	c.play(conversation{
		{"MAIL FROM:<bob@example.com>", "250 2.1.0 Ok"},
		{"RCPT TO:<alice@example.com>", "250 2.1.5 Ok"},
		{"DATA", "354 End data with <CR><LF>.<CR><LF>"},
		{"Subject: no hello\r\n\r\nhi\r\n.", "250 2.0.0 Ok: queued as Q00001"},
		{"QUIT", "221 2.0.0 Bye"},
	})
	alice := lab.Inbox(t, "alice")
	if len(alice) != 1 {
		t.Fatalf("alice has %d messages, want 1", len(alice))
	}
	if got, want := string(alice[0].Data), "Received: from localhost (localhost [127.0.0.1])\r\n\tby mail.example.com (wirebook) with SMTP id Q00001\r\n"; !strings.Contains(got, want) {
		t.Errorf("message = %q, want it to contain %q", got, want)
	}
}

func TestDeliveryAddsTraceHeadersAndUnstuffsDots(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{})
	c := dial(t, lab.Addr)
	c.expect(greeting)
	c.step("EHLO client.example.org", "250-mail.example.com\n250-PIPELINING\n250-SIZE 10485760\n250-8BITMIME\n250 ENHANCEDSTATUSCODES")
	c.step("MAIL FROM:<bob@example.com>", "250 2.1.0 Ok")
	c.step("RCPT TO:<Alice@Example.COM>", "250 2.1.5 Ok")
	c.step("DATA", "354 End data with <CR><LF>.<CR><LF>")
	// The bare-LF line end is accepted and stored as CRLF.
	if _, err := c.conn.Write([]byte("Subject: dots\r\n\r\n..leading dot\r\n..\r\nbare LF\n.\r\n")); err != nil {
		t.Fatal(err)
	}
	c.expect("250 2.0.0 Ok: queued as Q00001")

	// A second message to two recipients: no "for" clause, next queue id.
	c.step("HELO other.example.org", "250 mail.example.com")
	c.step("MAIL FROM:<>", "250 2.1.0 Ok")
	c.step("RCPT TO:<alice@example.com>", "250 2.1.5 Ok")
	c.step("RCPT TO:<bob@example.com>", "250 2.1.5 Ok")
	c.step("DATA", "354 End data with <CR><LF>.<CR><LF>")
	c.step(".", "250 2.0.0 Ok: queued as Q00002")
	c.step("QUIT", "221 2.0.0 Bye")

	alice := lab.Inbox(t, "alice")
	if len(alice) != 2 {
		t.Fatalf("alice has %d messages, want 2", len(alice))
	}
	want := "Return-Path: <bob@example.com>\r\n" +
		"Delivered-To: alice@example.com\r\n" +
		"Received: from client.example.org (localhost [127.0.0.1])\r\n" +
		"\tby mail.example.com (wirebook) with ESMTP id Q00001\r\n" +
		"\tfor <Alice@Example.COM>; Mon, 05 Jan 2026 09:00:00 +0000\r\n" +
		"Subject: dots\r\n" +
		// Postfix adds what the client left out, at the end of the header.
		"Message-Id: <20260105090000.Q00001@mail.example.com>\r\nDate: Mon,  5 Jan 2026 09:00:00 +0000 (UTC)\r\n" +
		"\r\n.leading dot\r\n.\r\nbare LF\r\n"
	if got := string(alice[0].Data); got != want {
		t.Errorf("first message =\n%q\nwant\n%q", got, want)
	}
	// Each copy names its recipient in Delivered-To.
	want2 := func(user string) string {
		return "Return-Path: <>\r\n" +
			"Delivered-To: " + user + "@example.com\r\n" +
			"Received: from other.example.org (localhost [127.0.0.1])\r\n" +
			"\tby mail.example.com (wirebook) with SMTP id Q00002; Mon, 05 Jan 2026 09:00:02 +0000\r\n" +
			"Message-Id: <20260105090002.Q00002@mail.example.com>\r\nDate: Mon,  5 Jan 2026 09:00:02 +0000 (UTC)\r\n"
	}
	if got := string(alice[1].Data); got != want2("alice") {
		t.Errorf("second message =\n%q\nwant\n%q", got, want2("alice"))
	}
	if bob := lab.Inbox(t, "bob"); len(bob) != 1 || string(bob[0].Data) != want2("bob") {
		t.Errorf("bob's INBOX = %v, want the second message only", bob)
	}
}

func TestPipelinedCommandsAnsweredInOrder(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{})
	c := dial(t, lab.Addr)
	c.expect(greeting)
	c.send("EHLO client.example.org", "MAIL FROM:<bob@example.com>", "RCPT TO:<alice@example.com>",
		"RCPT TO:<carol@example.com>", "RCPT TO:<bob@example.com>", "DATA")
	for _, want := range []string{
		"250-mail.example.com\n250-PIPELINING\n250-SIZE 10485760\n250-8BITMIME\n250 ENHANCEDSTATUSCODES",
		"250 2.1.0 Ok",
		"250 2.1.5 Ok",
		"550 5.1.1 <carol@example.com>: Recipient address rejected: User unknown in local recipient table",
		"250 2.1.5 Ok",
		"354 End data with <CR><LF>.<CR><LF>",
	} {
		c.expect(want)
	}
	c.send("Subject: pipelined", "", "hi", ".", "QUIT")
	c.expect("250 2.0.0 Ok: queued as Q00001")
	c.expect("221 2.0.0 Bye")
	c.expectClosed()
	if n := len(lab.Inbox(t, "alice")); n != 1 {
		t.Errorf("alice has %d messages, want 1", n)
	}
}

func TestLineLimits(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{MaxLine: 100})
	c := dial(t, lab.Addr)
	c.expect(greeting)
	// Like Postfix (line_length_limit): the head of a long command line
	// counts, the rest is dropped, and the next line is a new command.
	c.step("NOOP "+strings.Repeat("x", 200), "250 2.0.0 Ok")
	c.step("MAIL FROM:<"+strings.Repeat("b", 200)+"@example.com>", "501 5.5.4 Syntax: MAIL FROM:<address>") // cut before its ">"
	c.step("EHLO client.example.org", "250-mail.example.com\n250-PIPELINING\n250-SIZE 10485760\n250-8BITMIME\n250 ENHANCEDSTATUSCODES")
	c.step("MAIL FROM:<bob@example.com>", "250 2.1.0 Ok")
	c.step("RCPT TO:<alice@example.com>", "250 2.1.5 Ok")
	c.step("DATA", "354 End data with <CR><LF>.<CR><LF>")
	// A 5,000-character line is taken, and delivered as Postfix's LMTP
	// client passes it on: 998 characters, then a space and 997 at a time.
	c.send("Subject: long", "Message-Id: <x@y>", "Date: Mon, 5 Jan 2026 09:00:00 +0000", "", strings.Repeat("y", 5000), "after", ".")
	c.expect("250 2.0.0 Ok: queued as Q00001")
	c.step("QUIT", "221 2.0.0 Bye")
	msgs := lab.Inbox(t, "alice")
	want := strings.Repeat("y", 998) + strings.Repeat("\r\n "+strings.Repeat("y", 997), 4) + "\r\n " + strings.Repeat("y", 14) + "\r\nafter\r\n"
	if len(msgs) != 1 || !strings.HasSuffix(string(msgs[0].Data), "+0000\r\n\r\n"+want) {
		t.Errorf("alice's INBOX = %v, want the long line folded", msgs)
	}
}

func TestMessageTooBig(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{MaxMessageSize: 64})
	c := dial(t, lab.Addr)
	c.expect(greeting)
	c.step("HELO client.example.org", "250 mail.example.com")
	c.step("MAIL FROM:<bob@example.com> SIZE=65", "552 5.3.4 Message size exceeds fixed maximum message size")
	c.step("MAIL FROM:<bob@example.com>", "250 2.1.0 Ok")
	c.step("RCPT TO:<alice@example.com>", "250 2.1.5 Ok")
	c.step("DATA", "354 End data with <CR><LF>.<CR><LF>")
	c.send(strings.Repeat("z", 50), strings.Repeat("z", 50), ".")
	c.expect("552 5.3.4 Message size exceeds fixed maximum message size")
	c.step("NOOP", "250 2.0.0 Ok")
	if n := len(lab.Inbox(t, "alice")); n != 0 {
		t.Errorf("alice has %d messages, want 0", n)
	}
}

func TestTooManyErrorsHangsUp(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{MaxErrors: 3})
	c := dial(t, lab.Addr)
	c.expect(greeting)
	c.step("FOO", "500 5.5.2 Error: command not recognized")
	c.step("BAR", "500 5.5.2 Error: command not recognized")
	c.step("NOOP", "250 2.0.0 Ok")
	c.send("BAZ")
	c.expect("500 5.5.2 Error: command not recognized")
	c.expect("421 4.7.0 mail.example.com Error: too many errors")
	c.expectClosed()
}

func TestIdleTimeout(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{IdleTimeout: 50 * time.Millisecond})
	c := dial(t, lab.Addr)
	c.expect(greeting)
	c.expect("421 4.4.2 mail.example.com Error: timeout exceeded")
	c.expectClosed()
}

func TestMaxConnections(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{MaxConnections: 1})
	first := dial(t, lab.Addr)
	first.expect(greeting)
	// Over the bound a client waits for its greeting instead of a 421.
	second := dial(t, lab.Addr)
	first.step("NOOP", "250 2.0.0 Ok")
	first.step("QUIT", "221 2.0.0 Bye")
	second.expect(greeting)
	second.step("NOOP", "250 2.0.0 Ok")
}

func TestCloseEndsSessions(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{})
	c := dial(t, lab.Addr)
	c.expect(greeting)
	if err := lab.Server.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c.expectClosed()
}

func TestNewWithoutStorePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New(Config{}) did not panic")
		}
	}()
	smtpd.New(smtpd.Config{})
}

func TestDeliveryToCustomDomain(t *testing.T) {
	store := mailstore.New(mailstore.Config{Domain: "lab.test", Clock: mailstore.NewStepClock()})
	lab := smtpdtest.Start(t, smtpd.Config{Store: store})
	c := dial(t, lab.Addr)
	c.expect(greeting)
	c.play(conversation{
		{"HELO client.example.org", "250 mail.example.com"},
		{"MAIL FROM:<bob@lab.test>", "250 2.1.0 Ok"},
		{"RCPT TO:<alice@example.com>", "554 5.7.1 <alice@example.com>: Relay access denied"},
		{"RCPT TO:<@relay.lab.test:alice@LAB.test>", "250 2.1.5 Ok"},
	})
}

func TestImplicitTLSHandshakeTimesOut(t *testing.T) {
	bundle, _ := smtpdtest.TLS(t)
	lab := smtpdtest.StartImplicitTLS(t, smtpd.Config{TLS: bundle.ServerConfig(), IdleTimeout: 50 * time.Millisecond})
	// A plain TCP client that never starts the handshake is dropped.
	c := dial(t, lab.Addr)
	c.expectClosed()
}
