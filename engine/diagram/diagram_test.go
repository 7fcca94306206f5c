package diagram

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols"
)

// events reads a transcript written as in a lab: "C: ", "C+ ", "S: ",
// "N: "; a line starting "P" is a server payload line.
func events(t *testing.T, src string) []protocols.Event {
	t.Helper()
	var out []protocols.Event
	for _, l := range strings.Split(strings.TrimSpace(src), "\n") {
		l = strings.TrimLeft(l, "\t")
		mark, text := l[:2], strings.TrimPrefix(l[2:], " ")
		switch mark {
		case "C:":
			out = append(out, protocols.Event{Kind: protocols.Client, Text: text})
		case "C+":
			out = append(out, protocols.Event{Kind: protocols.Client, Text: text, Pipelined: true})
		case "S:":
			out = append(out, protocols.Event{Kind: protocols.Server, Text: text})
		case "P:":
			out = append(out, protocols.Event{Kind: protocols.Server, Text: text, Payload: true})
		case "N:":
			out = append(out, protocols.Event{Kind: protocols.Note, Text: text})
		default:
			t.Fatalf("bad fixture line %q", l)
		}
	}
	return out
}

const pipelinedIMAP = `
N: connected to mail.example.com (imap, port 143)
S: * OK [CAPABILITY IMAP4rev1] ready.
C: A0002 SELECT INBOX
S: * 1 EXISTS
S: A0002 OK [READ-WRITE] Select completed.
C: A0003 FETCH 1 RFC822.SIZE
C+ A0004 FETCH 1 BODY[HEADER]
C+ A0005 FETCH 1 BODY[TEXT]
S: * 1 FETCH (RFC822.SIZE 499)
S: A0003 OK Fetch completed.
S: * 1 FETCH (BODY[HEADER] {23}
P: Subject: IMAP homework
P:
S: )
S: A0004 OK Fetch completed.
S: * 1 FETCH (BODY[TEXT] {5}
P: Hi.
S: )
S: A0005 BAD Fetch failed.
N: connection closed by the server`

func TestPipelinedIMAPOrderAndLinks(t *testing.T) {
	us := Units(events(t, pipelinedIMAP), "imap")
	type want struct {
		kind          string
		seq, answers  int
		lines         int
		pipelined, ng bool
	}
	exp := []want{
		{KindOpen, 0, 0, 1, false, false},
		{KindUntagged, 0, 0, 1, false, false}, // greeting: no command yet
		{KindCommand, 1, 0, 1, false, false},
		{KindUntagged, 0, 1, 1, false, false},
		{KindReply, 0, 1, 1, false, false},
		{KindCommand, 2, 0, 1, false, false},
		{KindCommand, 3, 0, 1, true, false},
		{KindCommand, 4, 0, 1, true, false},
		{KindUntagged, 0, 2, 1, false, false},
		{KindReply, 0, 2, 1, false, false},
		{KindUntagged, 0, 3, 4, false, false}, // the literal and ")" collapsed into one arrow
		{KindReply, 0, 3, 1, false, false},
		{KindUntagged, 0, 4, 3, false, false},
		{KindReply, 0, 4, 1, false, true},
		{KindClose, 0, 0, 1, false, false},
	}
	if len(us) != len(exp) {
		t.Fatalf("%d units, want %d: %+v", len(us), len(exp), us)
	}
	for i, e := range exp {
		u := us[i]
		got := want{u.Kind, u.Seq, u.Answers, u.Lines, u.Pipelined, u.Negative}
		if got != e {
			t.Errorf("unit %d (%q): got %+v, want %+v", i, u.Text, got, e)
		}
	}
	// Bytes on the wire: each recorded line with CRLF.
	lit := us[10]
	if wantB := len("* 1 FETCH (BODY[HEADER] {23}") + len("Subject: IMAP homework") + len("") + len(")") + 4*2; lit.Bytes != wantB {
		t.Errorf("literal arrow counts %d bytes, want %d", lit.Bytes, wantB)
	}
}

func TestTaggedCompletionOutOfOrderFindsItsCommand(t *testing.T) {
	us := Units(events(t, `
C: a LIST "" *
C+ b NOOP
S: b OK done
S: a OK done`), "imap")
	if us[2].Answers != 2 || us[3].Answers != 1 {
		t.Fatalf("b OK answers %d, a OK answers %d; want 2 and 1", us[2].Answers, us[3].Answers)
	}
}

const starttlsSMTP = `
N: connected to mail.example.com (smtp, port 25)
S: 220 mail.example.com ESMTP
C: EHLO client.example
S: 250-mail.example.com
S: 250-PIPELINING
S: 250 STARTTLS
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: 530 5.7.0 Must issue a STARTTLS command first
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
N: TLS 1.3, TLS_AES_128_GCM_SHA256, certificate CN=mail.example.com, verified
C: MAIL FROM:<a@example.com>
C+ RCPT TO:<b@example.com>
C+ DATA
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 354 End data with <CR><LF>.<CR><LF>
C: Subject: hi
C:
C: body
C: .
S: 250 2.0.0 Ok: queued
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: YWxpY2U=
S: 235 2.7.0 ok
C: QUIT
S: 221 2.0.0 Bye
N: connection closed by the server`

func TestSMTPRepliesInOrderTLSAndBody(t *testing.T) {
	us := Units(events(t, starttlsSMTP), "smtp")
	var kinds []string
	for _, u := range us {
		kinds = append(kinds, u.Kind)
	}
	want := "open reply command reply command reply command reply tls command command command reply reply reply body reply command reply body reply command reply close"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("kinds:\n got %s\nwant %s", got, want)
	}
	if us[3].Lines != 3 || us[3].Answers != 1 {
		t.Errorf("EHLO reply: %d lines answering %d; want 3 lines answering 1", us[3].Lines, us[3].Answers)
	}
	if !us[5].Negative || us[7].Negative {
		t.Errorf("530 negative=%v, 220 negative=%v", us[5].Negative, us[7].Negative)
	}
	// MAIL, RCPT, DATA pipelined: their replies in order; the body and the
	// 250 after it belong to DATA (command 6).
	for i, a := range map[int]int{12: 4, 13: 5, 14: 6, 16: 6} {
		if us[i].Answers != a {
			t.Errorf("unit %d (%q) answers %d, want %d", i, us[i].Text, us[i].Answers, a)
		}
	}
	if us[15].Lines != 4 || us[15].Bytes != len("Subject: hi")+len("body")+len(".")+4*2 {
		t.Errorf("body arrow: %d lines %d bytes", us[15].Lines, us[15].Bytes)
	}
	// The SASL answer continues AUTH LOGIN; QUIT is command 8 and 221 answers it.
	if us[19].Kind != KindBody || us[22].Answers != 8 {
		t.Errorf("AUTH continuation %s, 221 answers %d", us[19].Kind, us[22].Answers)
	}
}

func TestPOP3MultiLineReplyIsOneArrow(t *testing.T) {
	us := Units(events(t, `
S: +OK ready
C: RETR 1
S: +OK 12 octets
P: Hi there
P: .
C: QUIT
S: +OK bye`), "pop3")
	if len(us) != 5 || us[2].Lines != 3 || us[2].Payload != 2 || us[4].Answers != 2 {
		t.Fatalf("%+v", us)
	}
}

func TestHTTPRequestAndResponseCollapse(t *testing.T) {
	us := Units(events(t, `
C: GET / HTTP/1.1
C: Host: example.com
C:
C+ GET /b HTTP/1.1
C+ Host: example.com
C+
S: HTTP/1.1 200 OK
S: Content-Length: 2
S:
P: hi
S: HTTP/1.1 404 Not Found
S: Content-Length: 0
S:`), "http")
	if len(us) != 4 {
		t.Fatalf("%d units: %+v", len(us), us)
	}
	if us[0].Lines != 3 || us[1].Lines != 3 || us[2].Lines != 4 || us[2].Answers != 1 || us[3].Answers != 2 {
		t.Errorf("%+v", us)
	}
	if us[2].Negative || !us[3].Negative {
		t.Errorf("200 negative=%v, 404 negative=%v", us[2].Negative, us[3].Negative)
	}
}

// TestSVGIsWellFormedAndEscaped parses the drawing as XML, checks every
// arrow has a <title>, that they follow the transcript's order, and that
// server bytes cannot make markup.
func TestSVGIsWellFormedAndEscaped(t *testing.T) {
	evs := events(t, pipelinedIMAP)
	evs = append(evs, protocols.Event{Kind: protocols.Server, Text: "* <script>alert(1)</script> \x1b[31m & \xff"})
	out := string(SVG(evs, "imap"))
	if strings.Contains(out, "<script") || strings.Contains(out, "\x1b") {
		t.Fatal("server bytes made markup or reached the page raw")
	}
	dec := xml.NewDecoder(strings.NewReader(out))
	var groups, titled, last int
	last = -1
	inGroup := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, out)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if el.Name.Local == "g" {
				for _, a := range el.Attr {
					if a.Name.Local == "data-ev" {
						n := 0
						for _, c := range a.Value {
							n = n*10 + int(c-'0')
						}
						if n <= last {
							t.Errorf("arrow for event %d after event %d: not in wire order", n, last)
						}
						last = n
						groups++
						inGroup = true
					}
				}
			}
			if el.Name.Local == "title" && inGroup {
				titled++
				inGroup = false
			}
		}
	}
	if groups != len(Units(evs, "imap")) || titled != groups {
		t.Errorf("%d arrows and marks, %d with a title, want %d", groups, titled, len(Units(evs, "imap")))
	}
	if !strings.Contains(out, `\x1b[31m`) {
		t.Error("the escape byte is not shown as \\x1b")
	}
}
