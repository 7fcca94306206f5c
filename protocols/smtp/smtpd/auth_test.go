package smtpd_test

import (
	"crypto/tls"
	"encoding/base64"
	"testing"

	"github.com/wirebook/wirebook/protocols/internal/sessiontest"
	"github.com/wirebook/wirebook/protocols/smtp/smtpd"
	"github.com/wirebook/wirebook/protocols/smtp/smtpd/smtpdtest"
)

const ehloWithAuth = "250-mail.example.com\n250-PIPELINING\n250-SIZE 10485760\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250 AUTH PLAIN LOGIN"

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestAuthExchanges(t *testing.T) {
	tests := []struct {
		name string
		conv conversation
	}{
		{"PLAIN inline", conversation{
			{"AUTH PLAIN " + b64("\x00alice\x00alice-pw"), "235 2.7.0 Authentication successful"},
		}},
		{"PLAIN with full address and authzid", conversation{
			{"AUTH PLAIN " + b64("alice\x00alice@example.com\x00alice-pw"), "235 2.7.0 Authentication successful"},
		}},
		{"PLAIN after an empty challenge", conversation{
			{"AUTH PLAIN", "334 "},
			{b64("\x00bob\x00bob-pw"), "235 2.7.0 Authentication successful"},
		}},
		{"LOGIN", conversation{
			{"auth login", "334 VXNlcm5hbWU6"},
			{b64("bob"), "334 UGFzc3dvcmQ6"},
			{b64("bob-pw"), "235 2.7.0 Authentication successful"},
		}},
		{"LOGIN with the user name inline", conversation{
			{"AUTH LOGIN " + b64("alice"), "334 UGFzc3dvcmQ6"},
			{b64("alice-pw"), "235 2.7.0 Authentication successful"},
		}},
		{"wrong password, then right", conversation{
			{"AUTH PLAIN " + b64("\x00alice\x00wrong"), "535 5.7.8 Authentication credentials invalid"},
			{"AUTH LOGIN", "334 VXNlcm5hbWU6"},
			{b64("alice"), "334 UGFzc3dvcmQ6"},
			{b64("nope"), "535 5.7.8 Authentication credentials invalid"},
			{"AUTH PLAIN " + b64("\x00alice\x00alice-pw"), "235 2.7.0 Authentication successful"},
		}},
		{"cancelled", conversation{
			{"AUTH LOGIN", "334 VXNlcm5hbWU6"},
			{"*", "501 5.7.0 Authentication aborted"},
			{"AUTH PLAIN", "334 "},
			{"*", "501 5.7.0 Authentication aborted"},
		}},
		{"malformed responses", conversation{
			{"AUTH PLAIN not-base64!", "501 5.5.2 Error: cannot decode base64 response"},
			{"AUTH PLAIN " + b64("alice:alice-pw"), "501 5.5.2 Error: malformed PLAIN response: want authzid NUL user NUL password"},
			{"AUTH PLAIN =", "501 5.5.2 Error: malformed PLAIN response: want authzid NUL user NUL password"},
			{"AUTH PLAIN " + b64("bob\x00alice\x00alice-pw"), "535 5.7.8 Authentication credentials invalid"},
			{"AUTH CRAM-MD5", "504 5.5.4 Unrecognized authentication type"},
			{"AUTH", "501 5.5.4 Syntax: AUTH mechanism [initial-response]"},
		}},
		{"once only, never inside a transaction", conversation{
			{"MAIL FROM:<alice@example.com>", "250 2.1.0 Ok"},
			{"AUTH PLAIN " + b64("\x00alice\x00alice-pw"), "503 5.5.1 Error: MAIL transaction in progress"},
			{"RSET", "250 2.0.0 Ok"},
			{"AUTH PLAIN " + b64("\x00alice\x00alice-pw"), "235 2.7.0 Authentication successful"},
			{"AUTH LOGIN", "503 5.5.1 Error: already authenticated"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lab := smtpdtest.Start(t, smtpd.Config{AllowInsecureAuth: true})
			c := dial(t, lab.Addr)
			c.expect(greeting)
			c.step("EHLO client.example.org", ehloWithAuth)
			c.play(tt.conv)
			c.step("QUIT", "221 2.0.0 Bye")
		})
	}
}

func TestAuthNeedsEHLONotHELO(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{AllowInsecureAuth: true})
	c := dial(t, lab.Addr)
	c.expect(greeting)
	c.step("HELO client.example.org", "250 mail.example.com")
	c.step("AUTH PLAIN "+b64("\x00alice\x00alice-pw"), "503 5.5.1 Error: send EHLO first")
}

func TestSTARTTLSThenAuthAndSend(t *testing.T) {
	bundle, _ := smtpdtest.TLS(t)
	lab := smtpdtest.Start(t, smtpd.Config{TLS: bundle.ServerConfig()})
	c := dial(t, lab.Addr)
	c.expect(greeting)
	c.play(conversation{
		{"EHLO client.example.org", "250-mail.example.com\n250-PIPELINING\n250-SIZE 10485760\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250 STARTTLS"},
		{"AUTH PLAIN " + b64("\x00alice\x00alice-pw"), "530 5.7.0 Must issue a STARTTLS command first"},
		{"STARTTLS now", "501 5.5.4 Syntax: STARTTLS"},
		{"MAIL FROM:<alice@example.com>", "250 2.1.0 Ok"},
		{"STARTTLS", "220 2.0.0 Ready to start TLS"},
	})
	tc := tls.Client(c.conn, bundle.ClientConfig("mail.example.com"))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	c = newRawClient(t, tc)
	c.play(conversation{
		// TLS forgets the transaction of before (no "nested MAIL"), and,
		// as with Postfix, MAIL needs no new EHLO (RFC 3207 says SHOULD).
		{"MAIL FROM:<alice@example.com>", "250 2.1.0 Ok"},
		// AUTH does need the EHLO that advertises it.
		{"AUTH PLAIN " + b64("\x00alice\x00alice-pw"), "503 5.5.1 Error: send EHLO first"},
		{"EHLO client.example.org", ehloWithAuth},
		{"STARTTLS", "554 5.5.1 Error: TLS already active"},
		{"AUTH PLAIN " + b64("\x00alice\x00alice-pw"), "235 2.7.0 Authentication successful"},
		{"MAIL FROM:<alice@example.com>", "250 2.1.0 Ok"},
		{"RCPT TO:<bob@example.com>", "250 2.1.5 Ok"},
		{"DATA", "354 End data with <CR><LF>.<CR><LF>"},
		{".", "250 2.0.0 Ok: queued as Q00001"},
		{"QUIT", "221 2.0.0 Bye"},
	})
	msgs := lab.Inbox(t, "bob")
	// No header at all: Postfix adds Message-Id and Date.
	want := "Return-Path: <alice@example.com>\r\n" +
		"Delivered-To: bob@example.com\r\n" +
		"Received: from client.example.org (localhost [127.0.0.1])\r\n" +
		"\tby mail.example.com (wirebook) with ESMTPSA id Q00001\r\n" +
		"\tfor <bob@example.com>; Mon, 05 Jan 2026 09:00:00 +0000\r\n" +
		"Message-Id: <20260105090000.Q00001@mail.example.com>\r\nDate: Mon,  5 Jan 2026 09:00:00 +0000 (UTC)\r\n"
	if len(msgs) != 1 {
		t.Fatalf("bob has %d messages, want 1", len(msgs))
	}
	if got := string(msgs[0].Data); got != want {
		t.Errorf("message =\n%q\nwant\n%q", got, want)
	}
}

// Commands pipelined behind STARTTLS arrive in clear; running them as if
// they came over TLS is the STARTTLS command-injection attack.
func TestSTARTTLSDropsPlaintextPipelinedAfterIt(t *testing.T) {
	bundle, _ := smtpdtest.TLS(t)
	lab := smtpdtest.Start(t, smtpd.Config{TLS: bundle.ServerConfig()})
	c := dial(t, lab.Addr)
	c.expect(greeting)
	c.step("EHLO client.example.org", "250-mail.example.com\n250-PIPELINING\n250-SIZE 10485760\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250 STARTTLS")
	c.send("STARTTLS", "HELP")
	c.expect("220 2.0.0 Ready to start TLS")
	tc := tls.Client(c.conn, bundle.ClientConfig("mail.example.com"))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	c = newRawClient(t, tc)
	// A 214 here would be the answer to the injected HELP.
	c.step("NOOP", "250 2.0.0 Ok")
}

// After QUIT the TLS layer ends with a close_notify alert, as Postfix ends
// it.
func TestSTARTTLSEndsWithCloseNotify(t *testing.T) {
	bundle, _ := smtpdtest.TLS(t)
	lab := smtpdtest.Start(t, smtpd.Config{TLS: bundle.ServerConfig()})
	if !sessiontest.EndsWithCloseNotify(t, lab.Addr, bundle.ClientConfig("mail.example.com"), "STARTTLS", "QUIT") {
		t.Errorf("the TLS layer ended without close_notify")
	}
}

func TestSubmissionRequiresAuth(t *testing.T) {
	bundle, _ := smtpdtest.TLS(t)
	t.Run("insecure auth allowed", func(t *testing.T) {
		lab := smtpdtest.Start(t, smtpd.Config{Submission: true, AllowInsecureAuth: true})
		c := dial(t, lab.Addr)
		c.expect(greeting)
		c.play(conversation{
			{"EHLO client.example.org", ehloWithAuth},
			// Like Postfix's submission service: MAIL is accepted and
			// the unauthenticated client is refused at RCPT.
			{"MAIL FROM:<bob@example.com>", "250 2.1.0 Ok"},
			{"RCPT TO:<alice@example.com>", "554 5.7.1 <alice@example.com>: Relay access denied: authenticate first (AUTH)"},
			{"DATA", "503 5.5.1 Error: need RCPT command"},
			{"RSET", "250 2.0.0 Ok"},
			{"AUTH PLAIN " + b64("\x00bob\x00bob-pw"), "235 2.7.0 Authentication successful"},
			{"MAIL FROM:<bob@example.com>", "250 2.1.0 Ok"},
			// Even an authenticated user cannot relay.
			{"RCPT TO:<someone@example.net>", "554 5.7.1 <someone@example.net>: Relay access denied"},
			{"RCPT TO:<alice@example.com>", "250 2.1.5 Ok"},
		})
	})
	t.Run("TLS first", func(t *testing.T) {
		lab := smtpdtest.Start(t, smtpd.Config{Submission: true, TLS: bundle.ServerConfig()})
		c := dial(t, lab.Addr)
		c.expect(greeting)
		c.step("EHLO client.example.org", "250-mail.example.com\n250-PIPELINING\n250-SIZE 10485760\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250 STARTTLS")
		c.step("MAIL FROM:<bob@example.com>", "530 5.7.0 Must issue a STARTTLS command first")
		c.step("AUTH PLAIN "+b64("\x00bob\x00bob-pw"), "530 5.7.0 Must issue a STARTTLS command first")
		c.step("STARTTLS", "220 2.0.0 Ready to start TLS")
		tc := tls.Client(c.conn, bundle.ClientConfig("mail.example.com"))
		if err := tc.Handshake(); err != nil {
			t.Fatalf("handshake: %v", err)
		}
		c = newRawClient(t, tc)
		c.play(conversation{
			{"EHLO client.example.org", ehloWithAuth},
			{"MAIL FROM:<bob@example.com>", "250 2.1.0 Ok"},
			{"RCPT TO:<alice@example.com>", "554 5.7.1 <alice@example.com>: Relay access denied: authenticate first (AUTH)"},
			{"RSET", "250 2.0.0 Ok"},
			{"AUTH PLAIN " + b64("\x00bob\x00bob-pw"), "235 2.7.0 Authentication successful"},
			{"MAIL FROM:<bob@example.com>", "250 2.1.0 Ok"},
			{"RCPT TO:<alice@example.com>", "250 2.1.5 Ok"},
		})
	})
}

func TestImplicitTLSOffersAuthNotSTARTTLS(t *testing.T) {
	bundle, _ := smtpdtest.TLS(t)
	lab := smtpdtest.StartImplicitTLS(t, smtpd.Config{TLS: bundle.ServerConfig()})
	c := dialTLS(t, lab.Addr, bundle.ClientConfig("127.0.0.1"))
	c.expect(greeting)
	c.play(conversation{
		{"EHLO client.example.org", ehloWithAuth},
		{"STARTTLS", "554 5.5.1 Error: TLS already active"},
		{"AUTH LOGIN " + b64("bob@example.com"), "334 UGFzc3dvcmQ6"},
		{b64("bob-pw"), "235 2.7.0 Authentication successful"},
		{"QUIT", "221 2.0.0 Bye"},
	})
	c.expectClosed()
}
