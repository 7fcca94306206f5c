package main

import (
	"encoding/base64"
	"strings"
)

// step is one client turn: a command line and the reply it gets.
type step struct {
	send  string // the line without CRLF; "" reads only the greeting
	label string // shown instead of send (passwords, message bodies)
	multi bool   // POP3: a +OK reply carries a dot-terminated body
	tls   bool   // switch to TLS after a positive reply (STARTTLS, STLS)
	raw   bool   // IMAP: send as is, no tag (a continuation answer)
	head  bool   // HTTP: the response has no body (HEAD)
}

func (s step) String() string {
	switch {
	case s.label != "":
		return s.label
	case s.send == "":
		return "(greeting)"
	}
	return s.send
}

// session is one connection's worth of steps against one service.
type session struct {
	proto   string // smtp, pop3, imap or http: how replies are framed
	service string // labserver service name, also the key of realPorts
	name    string
	steps   []step
}

func greeting() step { return step{} }

func plainAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// mail is a small message with CRLF line ends and the terminating dot.
func mail(from, to, subject, body string) step {
	text := strings.Join([]string{
		"From: <" + from + ">", "To: <" + to + ">", "Subject: " + subject, "", body, ".",
	}, "\r\n")
	return step{send: text, label: "(message: " + subject + ", then .)"}
}

func smtpSessions() []session {
	return []session{
		{"smtp", "smtp", "SMTP AUTH= parameter and a long command line", []step{
			greeting(),
			{send: "EHLO client.example"},
			{send: "MAIL FROM:<teacher@example.com> AUTH=<>"},
			{send: "RSET"},
			{send: "NOOP " + strings.Repeat("x", 3000), label: "NOOP (3,000 bytes)"},
			{send: "NOOP"},
			{send: "QUIT"},
		}},
		{"smtp", "smtp", "SMTP session on the plain port", []step{
			greeting(),
			{send: "EHLO client.example"},
			{send: "HELO client.example"},
			{send: "NOOP"},
			{send: "HELP"},
			{send: "VRFY alice"},
			{send: "VRFY nobody"},
			{send: "EXPN alice"},
			{send: "FROB"},
			{send: "RCPT TO:<bob@example.com>", label: "RCPT TO:<bob@example.com> (before MAIL)"},
			{send: "DATA", label: "DATA (before MAIL)"},
			{send: "MAIL FROM:<teacher@example.com>"},
			{send: "MAIL FROM:<teacher@example.com>", label: "MAIL FROM:<teacher@example.com> (nested)"},
			{send: "DATA", label: "DATA (before RCPT)"},
			{send: "RCPT TO:<nobody@example.com>"},
			{send: "RCPT TO:<someone@elsewhere.test>"},
			{send: "RCPT TO:<Bob@Example.COM>"},
			{send: "RCPT TO:<bob@example.com>"},
			{send: "DATA"},
			mail("teacher@example.com", "bob@example.com", "fidelity check", "hello bob"),
			{send: "MAIL FROM:<>"},
			{send: "RSET"},
			{send: "RCPT TO:<bob@example.com>", label: "RCPT TO:<bob@example.com> (after RSET)"},
			{send: "QUIT"},
		}},
		{"smtp", "smtp", "SMTP syntax errors", []step{
			greeting(),
			{send: "MAIL FROM:<teacher@example.com>", label: "MAIL FROM:<teacher@example.com> (before EHLO)"},
			{send: "EHLO"},
			{send: "HELO"},
			{send: "EHLO client.example"},
			{send: "MAIL FROM:teacher@example.com", label: "MAIL FROM:teacher@example.com (no brackets)"},
			{send: "RSET"},
			{send: "MAIL TO:<teacher@example.com>"},
			{send: "MAIL FROM:<not an address>"},
			{send: "MAIL FROM:<teacher@example.com> SIZE=99999999999"},
			// Postfix remembers a refused SIZE until RSET; start clean.
			{send: "RSET"},
			{send: "MAIL FROM:<teacher@example.com>"},
			{send: "RCPT TO:<>"},
			{send: "RCPT TO:bob@example.com", label: "RCPT TO:bob@example.com (no brackets)"},
			{send: "STARTTLS now", label: "STARTTLS now (with an argument)"},
			{send: "AUTH PLAIN " + plainAuth("alice", "alice-pw"), label: "AUTH PLAIN (before STARTTLS)"},
			{send: "QUIT"},
		}},
		{"smtp", "smtp", "an HTTP request sent to the SMTP port", []step{
			greeting(),
			{send: "GET / HTTP/1.1"},
		}},
		{"smtp", "smtp", "SMTP STARTTLS and AUTH on the plain port", []step{
			greeting(),
			{send: "EHLO client.example"},
			{send: "STARTTLS", tls: true},
			{send: "MAIL FROM:<alice@example.com>", label: "MAIL FROM (after STARTTLS, before a new EHLO)"},
			{send: "EHLO client.example"},
			{send: "STARTTLS", label: "STARTTLS (again)"},
			{send: "AUTH PLAIN " + plainAuth("alice", "wrong"), label: "AUTH PLAIN (wrong password)"},
			{send: "AUTH PLAIN " + plainAuth("alice", "alice-pw"), label: "AUTH PLAIN (alice)"},
			{send: "AUTH PLAIN " + plainAuth("alice", "alice-pw"), label: "AUTH PLAIN (again)"},
			{send: "MAIL FROM:<alice@example.com>"},
			{send: "RCPT TO:<someone@elsewhere.test>", label: "RCPT TO:<someone@elsewhere.test> (authenticated)"},
			{send: "RCPT TO:<bob@example.com>"},
			{send: "QUIT"},
		}},
		{"smtp", "submission", "submission", []step{
			greeting(),
			{send: "EHLO client.example"},
			{send: "MAIL FROM:<alice@example.com>", label: "MAIL FROM (before STARTTLS)"},
			{send: "AUTH PLAIN " + plainAuth("alice", "alice-pw"), label: "AUTH PLAIN (before STARTTLS)"},
			{send: "STARTTLS", tls: true},
			{send: "EHLO client.example"},
			{send: "MAIL FROM:<alice@example.com>", label: "MAIL FROM (TLS, before AUTH)"},
			{send: "RCPT TO:<bob@example.com>", label: "RCPT TO:<bob@example.com> (TLS, before AUTH)"},
			{send: "RSET"},
			{send: "AUTH LOGIN"},
			{send: b64("alice"), label: "(base64 alice)"},
			{send: b64("alice-pw"), label: "(base64 password)"},
			{send: "MAIL FROM:<alice@example.com>"},
			{send: "RCPT TO:<bob@example.com>"},
			{send: "DATA"},
			mail("alice@example.com", "bob@example.com", "fidelity submission", "sent over submission"),
			{send: "QUIT"},
		}},
		{"smtp", "smtps", "SMTPS (implicit TLS)", []step{
			greeting(),
			{send: "EHLO client.example"},
			{send: "STARTTLS", label: "STARTTLS (TLS already on)"},
			{send: "AUTH LOGIN"},
			{send: b64("bob"), label: "(base64 bob)"},
			{send: b64("nope"), label: "(base64 wrong password)"},
			{send: "AUTH PLAIN"},
			{send: "*", label: "* (cancel)"},
			{send: "AUTH CRAM-MD5"},
			{send: "AUTH PLAIN"},
			{send: plainAuth("bob", "bob-pw"), label: "(base64 PLAIN response)"},
			{send: "AUTH PLAIN " + plainAuth("bob", "bob-pw"), label: "AUTH PLAIN (again)"},
			{send: "QUIT"},
		}},
	}
}

func pop3Sessions() []session {
	return []session{
		{"pop3", "pop3s", "POP3S AUTH LOGIN", []step{
			greeting(),
			{send: "AUTH LOGIN"},
			{send: b64("bob"), label: "(base64 user name)"},
			{send: b64("bob-pw"), label: "(base64 password)"},
			{send: "STAT"},
			{send: "QUIT"},
		}},
		{"pop3", "pop3", "POP3 session", []step{
			greeting(),
			{send: "CAPA", multi: true},
			{send: "STAT", label: "STAT (before login)"},
			{send: "PASS alice-pw", label: "PASS (before USER)"},
			{send: "USER alice"},
			{send: "PASS alice-pw", label: "PASS (alice)"},
			{send: "USER bob", label: "USER bob (after login)"},
			{send: "STAT"},
			{send: "LIST", multi: true},
			{send: "LIST 1"},
			{send: "LIST 9"},
			{send: "LIST x"},
			{send: "UIDL", multi: true},
			{send: "UIDL 2"},
			{send: "RETR 1", multi: true},
			{send: "RETR 9"},
			{send: "RETR"},
			{send: "TOP 1 0", multi: true},
			{send: "TOP 1"},
			{send: "DELE 1"},
			{send: "DELE 1", label: "DELE 1 (again)"},
			{send: "RETR 1", label: "RETR 1 (deleted)"},
			{send: "LIST", multi: true, label: "LIST (after DELE)"},
			{send: "STAT", label: "STAT (after DELE)"},
			{send: "RSET"},
			{send: "STAT", label: "STAT (after RSET)"},
			{send: "NOOP"},
			{send: "FROB"},
			{send: "APOP alice 0123456789abcdef0123456789abcdef"},
			{send: "QUIT"},
		}},
		{"pop3", "pop3", "POP3 failed logins", []step{
			greeting(),
			{send: "USER nobody"},
			{send: "PASS whatever", label: "PASS (unknown user)"},
			{send: "USER alice"},
			{send: "PASS wrong", label: "PASS (wrong password)"},
			{send: "AUTH PLAIN " + plainAuth("alice", "alice-pw"), label: "AUTH PLAIN (inline, alice)"},
			{send: "QUIT"},
		}},
		{"pop3", "pop3", "POP3 STLS", []step{
			greeting(),
			{send: "STLS", tls: true},
			{send: "STLS", label: "STLS (again)"},
			{send: "CAPA", multi: true, label: "CAPA (under TLS)"},
			{send: "USER bob"},
			{send: "PASS bob-pw", label: "PASS (bob)"},
			{send: "QUIT"},
		}},
		{"pop3", "pop3s", "POP3S (implicit TLS)", []step{
			greeting(),
			{send: "CAPA", multi: true},
			{send: "AUTH PLAIN"},
			{send: plainAuth("bob", "bob-pw"), label: "(base64 PLAIN response)"},
			{send: "STAT"},
			{send: "QUIT"},
		}},
	}
}

func imapSessions() []session {
	return []session{
		{"imap", "imap", "IMAP session", []step{
			greeting(),
			{send: "CAPABILITY"},
			{send: "NOOP"},
			{send: "SELECT INBOX", label: "SELECT INBOX (before login)"},
			{send: "USER alice"},
			{send: "LOGIN alice wrong", label: "LOGIN alice (wrong password)"},
			{send: "LOGIN alice alice-pw", label: "LOGIN alice (right password)"},
			{send: "LOGIN alice alice-pw", label: "LOGIN (again)"},
			{send: "CAPABILITY"},
			{send: "FETCH 1 (FLAGS)", label: "FETCH 1 (FLAGS) (no mailbox selected)"},
			{send: `LIST "" "*"`},
			{send: `LIST "" ""`},
			{send: `LSUB "" "*"`},
			{send: "STATUS INBOX (MESSAGES UNSEEN UIDNEXT)"},
			{send: "SELECT Nowhere"},
			{send: "SELECT INBOX"},
			{send: "FETCH 1 (FLAGS)"},
			{send: "FETCH 1:* (UID FLAGS RFC822.SIZE)"},
			{send: "FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])"},
			{send: "FETCH 1 BODY[]"},
			{send: "FETCH 9 (FLAGS)"},
			{send: "FETCH x (FLAGS)"},
			{send: "FETCH 1 (NONSENSE)"},
			{send: "SEARCH ALL"},
			{send: "SEARCH UNSEEN"},
			{send: "SEARCH SUBJECT fidelity"},
			{send: "SEARCH BOGUS"},
			{send: "UID SEARCH ALL"},
			{send: `STORE 1 +FLAGS (\Flagged)`},
			{send: `STORE 2 +FLAGS.SILENT (\Seen)`},
			{send: `STORE 1 -FLAGS (\Flagged \Seen)`},
			{send: "UID FETCH 1:* (FLAGS)"},
			{send: "FROB"},
			{send: "EXAMINE INBOX"},
			{send: `STORE 1 +FLAGS (\Deleted)`, label: `STORE 1 +FLAGS (\Deleted) (read-only)`},
			{send: "CLOSE"},
			{send: "LOGOUT"},
		}},
		// Issue 12: what go-imap, mutt and Thunderbird rely on.
		{"imap", "imap", "IMAP extensions, subscriptions and keywords", []step{
			greeting(),
			{send: "ID NIL"},
			{send: "LOGIN alice alice-pw", label: "LOGIN alice"},
			{send: "NAMESPACE"},
			{send: "ENABLE CONDSTORE"},
			// No hierarchy here: its delimiter is configuration ("." on
			// this Dovecot, "/" on the course's and the embedded server).
			{send: "CREATE fidelity"},
			{send: `LIST "" %`},
			{send: "SUBSCRIBE fidelity"},
			{send: `LSUB "" %`},
			{send: `LIST (SUBSCRIBED) "" "*"`},
			{send: `LIST "" % RETURN (STATUS (MESSAGES UNSEEN))`},
			{send: "SELECT fidelity.none"},
			{send: "SELECT ["},
			{send: "SELECT INBOX"},
			{send: "STORE 1 +FLAGS ($Fidelity)", label: "STORE 1 +FLAGS ($Fidelity) (a new keyword)"},
			{send: "UNSELECT"},
			{send: "UNSUBSCRIBE fidelity"},
			{send: "DELETE fidelity"},
			{send: "LOGOUT"},
		}},
		{"imap", "imap", "IMAP STARTTLS and AUTHENTICATE", []step{
			greeting(),
			{send: "STARTTLS", tls: true},
			{send: "STARTTLS", label: "STARTTLS (again)"},
			{send: "CAPABILITY"},
			{send: "AUTHENTICATE PLAIN"},
			{send: plainAuth("bob", "bob-pw"), raw: true, label: "(base64 PLAIN response)"},
			{send: "SELECT INBOX"},
			{send: "LOGOUT"},
		}},
		{"imap", "imaps", "IMAPS (implicit TLS)", []step{
			greeting(),
			{send: "CAPABILITY"},
			{send: "AUTHENTICATE PLAIN " + plainAuth("alice", "alice-pw"), label: "AUTHENTICATE PLAIN (initial response)"},
			{send: "EXAMINE INBOX"},
			{send: "LOGOUT"},
		}},
	}
}

func httpGet(method, path string, extra ...string) step {
	lines := append([]string{method + " " + path + " HTTP/1.1", "Host: www.example.com"}, extra...)
	lines = append(lines, "Connection: close", "")
	return step{send: strings.Join(lines, "\r\n") + "\r\n", label: method + " " + path, head: method == "HEAD"}
}

func labelled(s step, label string) step {
	s.label = label
	return s
}

func httpSessions() []session {
	var out []session
	for _, s := range []step{
		httpGet("GET", "/"),
		httpGet("GET", "/index.html"),
		httpGet("GET", "/hello.txt"),
		httpGet("HEAD", "/hello.txt"),
		httpGet("GET", "/docs"),
		httpGet("GET", "/docs/"),
		httpGet("GET", "/missing.html"),
		httpGet("GET", "/hello.txt/"),
		httpGet("POST", "/hello.txt", "Content-Length: 0"),
		httpGet("DELETE", "/"),
		httpGet("OPTIONS", "/"),
		{send: "OPTIONS * HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\n\r\n", label: "OPTIONS *"},
		labelled(httpGet("GET", "/hello.txt", "Range: bytes=0-4"), "GET /hello.txt, Range: bytes=0-4"),
		labelled(httpGet("GET", "/hello.txt", "Range: bytes=-5"), "GET /hello.txt, Range: bytes=-5"),
		labelled(httpGet("GET", "/hello.txt", "Range: bytes=0-1,3-4"), "GET /hello.txt, Range: bytes=0-1,3-4"),
		labelled(httpGet("GET", "/hello.txt", "Range: bytes=99999-"), "GET /hello.txt, Range: bytes=99999-"),
		{send: "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", label: "GET / without Host"},
		{send: "GET / HTTP/1.0\r\n\r\n", label: "GET / HTTP/1.0"},
		{send: "FROB\r\n\r\n", label: "FROB (not HTTP)"},
	} {
		out = append(out, session{"http", "http", s.String(), []step{s}})
	}
	tls := httpGet("GET", "/hello.txt")
	out = append(out, session{"http", "https", "GET /hello.txt over TLS", []step{tls}})
	return out
}
