package diagram

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols"
)

// transcript reads the lab format ("C: ", "C+ ", "S: ", "N: ") with the
// test-only marks of engine/highlight's golden files: "C| " and "S| " (or
// "P: ") for a payload line, "S~ " for a line that ended without a line
// end. Lines that are none of these are skipped.
func transcript(src string) []protocols.Event {
	var out []protocols.Event
	for _, l := range strings.Split(src, "\n") {
		l = strings.TrimLeft(l, "\t")
		if len(l) < 2 {
			continue
		}
		text := strings.TrimPrefix(l[2:], " ")
		var e protocols.Event
		switch l[:2] {
		case "C:":
			e = protocols.Event{Kind: protocols.Client, Text: text}
		case "C+":
			e = protocols.Event{Kind: protocols.Client, Text: text, Pipelined: true}
		case "C|":
			e = protocols.Event{Kind: protocols.Client, Text: text, Payload: true}
		case "S:":
			e = protocols.Event{Kind: protocols.Server, Text: text}
		case "S|", "P:":
			e = protocols.Event{Kind: protocols.Server, Text: text, Payload: true}
		case "S~":
			e = protocols.Event{Kind: protocols.Server, Text: text, NoEOL: true}
		case "N:":
			e = protocols.Event{Kind: protocols.Note, Text: text}
		default:
			continue
		}
		out = append(out, e)
	}
	return out
}

// benchSMTP is a delivery over STARTTLS with a pipelined envelope and a
// 200-line message: headers, long lines, markup and non-ASCII text.
func benchSMTP() []protocols.Event {
	var b strings.Builder
	b.WriteString(`N: connected to mail.example.com (smtp, port 25)
S: 220 mail.example.com ESMTP Postfix (Debian/GNU)
C: EHLO client.example
S: 250-mail.example.com
S: 250-PIPELINING
S: 250-SIZE 10485760
S: 250-VRFY
S: 250-ETRN
S: 250-STARTTLS
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
N: TLS 1.3, TLS_AES_128_GCM_SHA256, certificate CN=mail.example.com, verified
C: EHLO client.example
S: 250-mail.example.com
S: 250-PIPELINING
S: 250-SIZE 10485760
S: 250-AUTH PLAIN LOGIN
S: 250 SMTPUTF8
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<teacher@example.com> SIZE=12000
C+ RCPT TO:<alice@example.com>
C+ RCPT TO:<nobody@example.com>
C+ DATA
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table
S: 354 End data with <CR><LF>.<CR><LF>
C: From: Teacher <teacher@example.com>
C: To: Alice <alice@example.com>, Nobody <nobody@example.com>
C: Subject: =?UTF-8?Q?R=C3=A9sum=C3=A9_of_the_week?=
C: Date: Tue, 14 Mar 2026 09:30:00 +0000
C: Message-ID: <20260314093000.12345@client.example>
C: MIME-Version: 1.0
C: Content-Type: text/plain; charset=utf-8
C: Content-Transfer-Encoding: 8bit
C:
`)
	for i := 0; i < 190; i++ {
		switch i % 7 {
		case 0:
			fmt.Fprintf(&b, "C: Paragraph %d of the message: a line of ordinary prose that runs past the width of an arrow's label.\n", i)
		case 1:
			b.WriteString("C: Short line.\n")
		case 2:
			fmt.Fprintf(&b, "C: Quoted: \"<b>%d</b>\" & 'single' quotes, fish & chips, a < b > c\n", i)
		case 3:
			b.WriteString("C: Café, naïve, Straße — ünïcödé text with an em dash… and more words after it\n")
		case 4:
			b.WriteString("C:\n")
		case 5:
			fmt.Fprintf(&b, "C: > %d: a quoted reply line from an earlier message in the thread\n", i)
		default:
			b.WriteString("C: -- \n")
		}
	}
	b.WriteString(`C: Regards,
C: The teacher
C: .
S: 250 2.0.0 Ok: queued as 4QvK8m1xYzz3Q
C: QUIT
S: 221 2.0.0 Bye
N: connection closed by the server
`)
	return transcript(b.String())
}

// benchIMAP is a pipelined IMAP session: literals in replies (FETCH
// BODY[]) and from the client (APPEND), untagged data, a refusal.
func benchIMAP() []protocols.Event {
	var b strings.Builder
	b.WriteString(`N: connected to mail.example.com (imap, port 143)
S: * OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS ID ENABLE NAMESPACE UNSELECT CHILDREN LIST-EXTENDED LIST-STATUS MOVE UNAUTHENTICATE STARTTLS AUTH=PLAIN] wirebook lab IMAP server ready.
C: A0001 LOGIN alice secret
S: A0001 OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS ID ENABLE NAMESPACE UNSELECT CHILDREN LIST-EXTENDED LIST-STATUS MOVE] Logged in.
C: A0002 SELECT INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted.
S: * 6 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 1700000000] UIDs valid
S: * OK [UIDNEXT 7] Predicted next UID
S: A0002 OK [READ-WRITE] Select completed.
`)
	for m := 1; m <= 6; m++ {
		mark := "C+"
		if m == 1 {
			mark = "C:"
		}
		fmt.Fprintf(&b, "%s A%04d FETCH %d (FLAGS BODY[])\n", mark, m+2, m)
	}
	for m := 1; m <= 6; m++ {
		fmt.Fprintf(&b, "S: * %d FETCH (FLAGS (\\Seen) BODY[] {%d}\n", m, 400+m)
		fmt.Fprintf(&b, "P: From: Teacher <teacher@example.com>\nP: To: Alice <alice@example.com>\nP: Subject: Homework %d\nP:\n", m)
		for i := 0; i < 12; i++ {
			fmt.Fprintf(&b, "P: Line %d of message %d, with <markup> & an ampersand to escape.\n", i, m)
		}
		b.WriteString("S: )\n")
		fmt.Fprintf(&b, "S: A%04d OK Fetch completed (0.001 + 0.000 secs).\n", m+2)
	}
	b.WriteString(`C: A0009 APPEND INBOX (\Seen) {310}
S: + Ready for literal data
C| From: Alice <alice@example.com>
C| To: Teacher <teacher@example.com>
C| Subject: Re: Homework
C|
C| Done, see the attached notes.
C|
S: A0009 OK [APPENDUID 1700000000 7] Append completed.
C: A0010 FETCH 99 BODY[]
S: A0010 BAD Error in IMAP command FETCH: Invalid messageset (0.001 + 0.000 secs).
C: A0011 LOGOUT
S: * BYE Logging out
S: A0011 OK Logout completed.
N: connection closed by the server
`)
	return transcript(b.String())
}

// benchHTTP is two pipelined requests, a page and a 404.
func benchHTTP() []protocols.Event {
	var b strings.Builder
	b.WriteString(`N: connected to www.example.com (http, port 80)
C: GET / HTTP/1.1
C: Host: www.example.com
C: User-Agent: wirebook
C: Accept: text/html
C:
C+ GET /missing HTTP/1.1
C+ Host: www.example.com
C+ Connection: close
C+
S: HTTP/1.1 200 OK
S: Date: Tue, 14 Mar 2026 09:30:00 GMT
S: Server: wirebook-lab
S: Content-Type: text/html; charset=utf-8
S: Content-Length: 1256
S: Cache-Control: max-age=60
S: ETag: "5f3a-1256"
S:
`)
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "P: <p class=\"l%d\">Line %d of the page &amp; its markup</p>\n", i, i)
	}
	b.WriteString(`S: HTTP/1.1 404 Not Found
S: Content-Type: text/plain
S: Content-Length: 10
S: Connection: close
S:
S~ not found
N: connection closed by the server
`)
	return transcript(b.String())
}

func benchTranscripts() []struct {
	name, proto string
	events      []protocols.Event
} {
	return []struct {
		name, proto string
		events      []protocols.Event
	}{
		{"smtp-body200", "smtp", benchSMTP()},
		{"imap-pipelined-literals", "imap", benchIMAP()},
		{"http", "http", benchHTTP()},
	}
}

// BenchmarkSVG draws realistic sessions: go test -bench SVG -benchmem ./engine/diagram
func BenchmarkSVG(b *testing.B) {
	for _, tc := range benchTranscripts() {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = SVG(tc.events, tc.proto)
			}
		})
	}
}

// BenchmarkSVGReference draws the same sessions with the reference
// implementation (ref_test.go), for a paired comparison in one run.
func BenchmarkSVGReference(b *testing.B) {
	for _, tc := range benchTranscripts() {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = refSVG(tc.events, tc.proto)
			}
		})
	}
}
