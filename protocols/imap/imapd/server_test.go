package imapd

import (
	"crypto/tls"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestGreeting(t *testing.T) {
	tests := []struct {
		name string
		opt  serverOptions
		want string
	}{
		{"plain", serverOptions{}, "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS ID ENABLE NAMESPACE UNSELECT CHILDREN LIST-EXTENDED LIST-STATUS MOVE UNAUTHENTICATE AUTH=PLAIN] wirebook lab IMAP server ready."},
		{"starttls offered", serverOptions{tls: true}, "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS ID ENABLE NAMESPACE UNSELECT CHILDREN LIST-EXTENDED LIST-STATUS MOVE UNAUTHENTICATE STARTTLS AUTH=PLAIN] wirebook lab IMAP server ready."},
		{"login disabled before TLS", serverOptions{tls: true, secureOnly: true}, "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS ID ENABLE NAMESPACE UNSELECT CHILDREN LIST-EXTENDED LIST-STATUS MOVE UNAUTHENTICATE STARTTLS LOGINDISABLED] wirebook lab IMAP server ready."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, tt.opt)
			c, greeting := ts.dialGreeting(t)
			if greeting != tt.want {
				t.Errorf("greeting = %q, want %q", greeting, tt.want)
			}
			c.send("a1 CAPABILITY")
			got := strings.Join(c.until("a1"), "\n")
			want := "* " + strings.TrimSuffix(strings.TrimPrefix(tt.want, "* OK ["), "] wirebook lab IMAP server ready.") + "\na1 OK Capability completed."
			if got != want {
				t.Errorf("CAPABILITY:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestLectureSession replays the course lecture's IMAP dialogue (with
// LOGIN in place of the lecture's fictional USER command).
func TestLectureSession(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.dial(t)
	steps := []struct{ tag, command, want string }{
		{"A0001", `USER "frobozz" "xyzzy"`,
			"A0001 BAD Error in IMAP command USER: Unknown command (IMAP logs in with: a1 LOGIN user password).\r\n"},
		{"A0001", `LOGIN alice alice-pw`,
			"A0001 OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS ID ENABLE NAMESPACE UNSELECT CHILDREN LIST-EXTENDED LIST-STATUS MOVE UNAUTHENTICATE] Logged in.\r\n"},
		{"A0002", "SELECT INBOX", "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n" +
			"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n" +
			"* 3 EXISTS\r\n" +
			"* 3 RECENT\r\n" +
			"* OK [UNSEEN 1] First unseen.\r\n" +
			"* OK [UIDVALIDITY 1700000000] UIDs valid\r\n" +
			"* OK [UIDNEXT 4] Predicted next UID\r\n" +
			"A0002 OK [READ-WRITE] Select completed.\r\n"},
		{"A0003", "FETCH 1 RFC822.SIZE", fmt.Sprintf("* 1 FETCH (RFC822.SIZE %d)\r\nA0003 OK Fetch completed.\r\n", len(msgPlain))},
		{"A0004", "FETCH 1 BODY[HEADER]", func() string {
			header, _, _ := strings.Cut(msgPlain, "\r\n\r\n")
			header += "\r\n\r\n"
			return fmt.Sprintf("* 1 FETCH (FLAGS (\\Seen \\Recent) BODY[HEADER] {%d}\r\n%s)\r\nA0004 OK Fetch completed.\r\n", len(header), header)
		}()},
		{"A0005", "FETCH 1 BODY[TEXT]", "* 1 FETCH (BODY[TEXT] {24}\r\nShall we meet at noon?\r\n)\r\nA0005 OK Fetch completed.\r\n"},
		{"A0006", "LOGOUT", "* BYE mail.example.com IMAP4rev1 server logging out.\r\nA0006 OK Logout completed.\r\n"},
	}
	for _, step := range steps {
		if got := c.transcript(step.tag, step.command); got != step.want {
			t.Errorf("%s %s:\n%q\nwant\n%q", step.tag, step.command, got, step.want)
		}
	}
	c.expectClosed()
}

func TestBadCommands(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	t.Run("not authenticated", func(t *testing.T) {
		c := ts.dial(t)
		tests := []struct{ send, want string }{
			{"a1 BOGUS", "a1 BAD Error in IMAP command BOGUS: Unknown command."},
			{"a2 SELECT INBOX", "a2 BAD Error in IMAP command SELECT: Log in first (LOGIN or AUTHENTICATE PLAIN)."},
			{"a3 FETCH 1 FLAGS", "a3 BAD Error in IMAP command FETCH: Log in first (LOGIN or AUTHENTICATE PLAIN)."},
			{"a4 LOGIN alice wrong", "a4 NO [AUTHENTICATIONFAILED] Authentication failed."},
			{"a5 LOGIN alice", "a5 BAD Error in IMAP command LOGIN: Expected LOGIN user password."},
			{"a6 LOGIN \"alice", "a6 BAD Error in IMAP command LOGIN: Invalid arguments: unterminated quoted string."},
			{"a7 QUIT", "a7 BAD Error in IMAP command QUIT: Unknown command (IMAP ends a session with: a1 LOGOUT)."},
			{"LOGIN alice alice-pw", "LOGIN BAD Error in IMAP command ALICE: Unknown command (each command starts with a tag: a1 LOGIN ...)."},
			{"CAPABILITY", "CAPABILITY BAD Error in IMAP command received by server: Missing command name. Each command starts with a tag: a1 CAPABILITY ..."},
			{"* OK hello", "* BAD Error in IMAP command received by server: each command must start with a tag such as a1."},
			{"a8 STARTTLS", "a8 BAD Error in IMAP command STARTTLS: STARTTLS is not available on this server."},
			{"a9 NOOP extra", "a9 BAD Error in IMAP command NOOP: Expected no arguments."},
			{"b1 AUTHENTICATE CRAM-MD5", "b1 NO Unsupported authentication mechanism (this server offers PLAIN)."},
		}
		for _, tt := range tests {
			c.send(tt.send)
			if got := c.line(); got != tt.want {
				t.Errorf("%s\n got %q\nwant %q", tt.send, got, tt.want)
			}
		}
		c.send("") // empty lines are ignored
		c.send("z1 NOOP")
		if got := c.line(); got != "z1 OK NOOP completed." {
			t.Errorf("after empty line: %q", got)
		}
	})
	t.Run("authenticated", func(t *testing.T) {
		c := ts.login(t)
		tests := []struct{ send, want string }{
			{"a1 FETCH 1 FLAGS", "a1 BAD Error in IMAP command FETCH: No mailbox selected (SELECT or EXAMINE one first)."},
			{"a2 LOGIN alice alice-pw", "a2 BAD Error in IMAP command LOGIN: Already logged in."},
			{"a3 SELECT NoSuchFolder", "a3 NO Mailbox doesn't exist: NoSuchFolder"},
			{"a4 UID LIST \"\" *", "a4 BAD Error in IMAP command UID LIST: UID works only with COPY, FETCH, SEARCH, STORE and EXPUNGE."},
			{"a5 STATUS INBOX (BOGUS)", "a5 BAD Error in IMAP command STATUS: Unknown STATUS item BOGUS."},
		}
		for _, tt := range tests {
			c.send(tt.send)
			if got := c.line(); got != tt.want {
				t.Errorf("%s\n got %q\nwant %q", tt.send, got, tt.want)
			}
		}
	})
	t.Run("selected", func(t *testing.T) {
		c := ts.login(t)
		c.send("s SELECT INBOX")
		c.until("s")
		tests := []struct{ send, want string }{
			{"a1 FETCH 999 FLAGS", "a1 BAD Error in IMAP command FETCH: Invalid messageset."},
			{"a2 FETCH 1 (FLAGS BOGUS)", "a2 BAD Error in IMAP command FETCH: Invalid fetch items: unknown data item BOGUS."},
			{"a3 FETCH 1 BODY[1.MIME", "a3 BAD Error in IMAP command FETCH: Invalid arguments: missing ']'."},
			{"a4 STORE 1 +FLAGS (\\Bogus)", "a4 BAD Error in IMAP command STORE: Invalid flags: \\Bogus is not a system flag."},
			{"a5 SEARCH CHARSET KOI8-R FROM x", "a5 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset."},
			{"a6 SEARCH FROBNICATE", "a6 BAD Error in IMAP command SEARCH: Invalid search criteria: unknown search key FROBNICATE."},
			{"a7 FETCH 0 FLAGS", "a7 BAD Error in IMAP command FETCH: Invalid messageset."},
			{"a8 FETCH 1 BODY[HEADER.FIELDS ]", "a8 BAD Error in IMAP command FETCH: Invalid fetch items: HEADER.FIELDS needs a list of field names."},
		}
		for _, tt := range tests {
			c.send(tt.send)
			if got := c.line(); got != tt.want {
				t.Errorf("%s\n got %q\nwant %q", tt.send, got, tt.want)
			}
		}
	})
}

func TestTooManyBadCommands(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.dial(t)
	for i := 1; i <= 19; i++ {
		c.send(fmt.Sprintf("x%d BOGUS", i))
		c.line()
	}
	c.send("ok NOOP") // a good command resets the count
	if got := c.line(); got != "ok OK NOOP completed." {
		t.Fatalf("NOOP = %q", got)
	}
	for i := 1; i <= 20; i++ {
		c.send(fmt.Sprintf("y%d BOGUS", i))
		if got, want := c.line(), fmt.Sprintf("y%d BAD Error in IMAP command BOGUS: Unknown command.", i); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if got := c.line(); got != "* BYE Too many invalid IMAP commands." {
		t.Errorf("after 20 BADs: %q", got)
	}
	c.expectClosed()
}

func TestLineTooLong(t *testing.T) {
	ts := newTestServer(t, serverOptions{maxLine: 100})
	c := ts.dial(t)
	c.send("a1 LOGIN " + strings.Repeat("x", 5000))
	if got, want := c.line(), "a1 BAD Error in IMAP command received by server: Line too long (maximum 100 bytes)."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	c.send("a2 NOOP")
	if got := c.line(); got != "a2 OK NOOP completed." {
		t.Errorf("after a long line: %q", got)
	}
}

func TestAppend(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.login(t)
	msg := "From: alice@example.com\r\nSubject: draft\r\n\r\nAppended.\r\n"

	c.send(fmt.Sprintf(`a1 APPEND INBOX (\Seen \flagged) "07-Jan-2026 10:11:12 +0100" {%d}`, len(msg)))
	if got := c.line(); got != "+ Ready for literal data" {
		t.Fatalf("continuation = %q", got)
	}
	c.sendRaw(msg + "\r\n")
	if got, want := c.line(), "a1 OK [APPENDUID 1700000000 4] Append completed."; got != want {
		t.Errorf("APPEND = %q, want %q", got, want)
	}

	// LITERAL+: no continuation request, the literal follows at once.
	c.sendRaw(fmt.Sprintf("a2 APPEND INBOX {%d+}\r\n%s\r\n", len(msg), msg))
	if got, want := c.line(), "a2 OK [APPENDUID 1700000000 5] Append completed."; got != want {
		t.Errorf("APPEND LITERAL+ = %q, want %q", got, want)
	}

	c.send("a3 APPEND Nowhere {3+}")
	c.sendRaw("abc\r\n")
	if got, want := c.line(), "a3 NO [TRYCREATE] Mailbox doesn't exist: Nowhere"; got != want {
		t.Errorf("APPEND to a missing mailbox = %q, want %q", got, want)
	}

	c.send("s SELECT INBOX")
	c.until("s")
	got := c.transcript("a4", "FETCH 4 (FLAGS INTERNALDATE BODY.PEEK[])")
	// RFC 3501 6.3.11: an appended message is \Recent.
	want := fmt.Sprintf("* 4 FETCH (FLAGS (\\Flagged \\Seen \\Recent) INTERNALDATE \"07-Jan-2026 10:11:12 +0100\" BODY[] {%d}\r\n%s)\r\na4 OK Fetch completed.\r\n", len(msg), msg)
	if got != want {
		t.Errorf("FETCH appended:\n%q\nwant\n%q", got, want)
	}
}

func TestHugeLiteralRefused(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.login(t)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)

	c.send("a1 APPEND INBOX {999999999999}")
	if got, want := c.line(), "a1 NO [TOOBIG] Message too big (limit 1048576 bytes)."; got != want {
		t.Errorf("APPEND = %q, want %q", got, want)
	}
	c.send("a2 LOGIN {99999999999999999999999}")
	if got, want := c.line(), "a2 BAD Error in IMAP command LOGIN: Literal too big (limit 65536 bytes)."; got != want {
		t.Errorf("LOGIN literal = %q, want %q", got, want)
	}
	c.send("a3 NOOP")
	if got := c.line(); got != "a3 OK NOOP completed." {
		t.Errorf("after refused literals: %q", got)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("allocated %d bytes while refusing literals", grew)
	}

	// A refused non-synchronizing literal is already on its way: the
	// server cannot find the next command, so it says goodbye.
	c.send("a4 APPEND INBOX {999999999999+}")
	if got, want := c.line(), "a4 NO [TOOBIG] Message too big (limit 1048576 bytes)."; got != want {
		t.Errorf("APPEND LITERAL+ = %q, want %q", got, want)
	}
	if got, want := c.line(), "* BYE Refused a non-synchronizing literal, closing the connection."; got != want {
		t.Errorf("after refused LITERAL+ = %q, want %q", got, want)
	}
	c.expectClosed()
}

func TestIdleSeesDelivery(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.login(t)
	c.send("s SELECT INBOX")
	c.until("s")
	c.send("a1 IDLE")
	if got := c.line(); got != "+ idling" {
		t.Fatalf("IDLE = %q", got)
	}
	if err := ts.store.Deliver([]string{"alice"}, []byte("Subject: new\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"* 4 EXISTS", "* 4 RECENT"} {
		if got := c.line(); got != want {
			t.Errorf("during IDLE: %q, want %q", got, want)
		}
	}
	// Another session expunges message 2; the idler hears it.
	other := ts.login(t)
	other.send("o1 SELECT INBOX")
	other.until("o1")
	other.send(`o2 STORE 2 +FLAGS.SILENT (\Deleted)`)
	other.until("o2")
	if got, want := c.line(), `* 2 FETCH (FLAGS (\Deleted \Recent))`; got != want {
		t.Errorf("during IDLE: %q, want %q", got, want)
	}
	other.send("o3 EXPUNGE")
	other.until("o3")
	if got := c.line(); got != "* 2 EXPUNGE" {
		t.Errorf("during IDLE: %q, want * 2 EXPUNGE", got)
	}
	c.send("DONE")
	if got := c.line(); got != "a1 OK Idle completed." {
		t.Errorf("DONE = %q", got)
	}
	c.send("a2 IDLE")
	c.line()
	c.send("NOT-DONE")
	if got, want := c.line(), "a2 BAD Error in IMAP command IDLE: Expected DONE to end IDLE."; got != want {
		t.Errorf("IDLE ended by junk = %q, want %q", got, want)
	}
}

func TestExpungeAndSync(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.login(t)
	c.send("s SELECT INBOX")
	c.until("s")
	other := ts.login(t)
	other.send("o SELECT INBOX")
	other.until("o")

	got := c.transcript("a1", `STORE 1,3 +FLAGS (\Deleted)`)
	want := "* 1 FETCH (FLAGS (\\Deleted \\Recent))\r\n* 3 FETCH (FLAGS (\\Deleted \\Recent))\r\na1 OK Store completed.\r\n"
	if got != want {
		t.Errorf("STORE:\n%q\nwant\n%q", got, want)
	}
	if got, want := c.transcript("a2", "EXPUNGE"), "* 1 EXPUNGE\r\n* 2 EXPUNGE\r\na2 OK Expunge completed.\r\n"; got != want {
		t.Errorf("EXPUNGE:\n%q\nwant\n%q", got, want)
	}
	// The other session keeps its numbers until a command may report
	// expunges: FETCH must not, NOOP does (with the flag changes first
	// dropped for the expunged messages).
	if got, want := other.transcript("o1", "FETCH 2 UID"), "* 2 FETCH (UID 2)\r\no1 OK Fetch completed.\r\n"; got != want {
		t.Errorf("FETCH in other session:\n%q\nwant\n%q", got, want)
	}
	if got, want := other.transcript("o2", "NOOP"), "* 1 EXPUNGE\r\n* 2 EXPUNGE\r\no2 OK NOOP completed.\r\n"; got != want {
		t.Errorf("NOOP in other session:\n%q\nwant\n%q", got, want)
	}
	if got, want := other.transcript("o3", "FETCH 1 UID"), "* 1 FETCH (UID 2)\r\no3 OK Fetch completed.\r\n"; got != want {
		t.Errorf("FETCH after sync:\n%q\nwant\n%q", got, want)
	}
}

func TestFetchItems(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.login(t)
	c.send("s EXAMINE INBOX") // read-only: fetching sets no \Seen
	c.until("s")
	header2, body2, _ := strings.Cut(msgMultipart, "\r\n\r\n")
	tests := []struct{ items, want string }{
		{"2 UID", "* 2 FETCH (UID 2)"},
		{"2 (FLAGS RFC822.SIZE)", fmt.Sprintf("* 2 FETCH (FLAGS (\\Recent) RFC822.SIZE %d)", len(msgMultipart))},
		{"1 ENVELOPE", `* 1 FETCH (ENVELOPE ("Mon, 5 Jan 2026 08:30:00 +0000" "Lunch on Friday" (("Bob Example" NIL "bob" "example.com")) (("Bob Example" NIL "bob" "example.com")) (("Bob Example" NIL "bob" "example.com")) ((NIL NIL "alice" "example.com")) NIL NIL NIL "<lunch-1@example.com>"))`},
		{"1 BODYSTRUCTURE", `* 1 FETCH (BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 24 1 NIL NIL NIL NIL))`},
		{"1 BODY", `* 1 FETCH (BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 24 1))`},
		{"2 BODYSTRUCTURE", `* 2 FETCH (BODYSTRUCTURE ((("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 16 0 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "7bit" 17 0 NIL NIL NIL NIL) "alternative" ("boundary" "inner") NIL NIL NIL)("application" "octet-stream" ("name" "data.bin") NIL NIL "base64" 8 NIL ("attachment" ("filename" "data.bin")) NIL NIL) "mixed" ("boundary" "outer") NIL NIL NIL))`},
		{"2 BODY[1.1]", "* 2 FETCH (BODY[1.1] {16}\r\nPlain text part.)"},
		{"2 BODY.PEEK[1.2]", "* 2 FETCH (BODY[1.2] {17}\r\n<p>HTML part.</p>)"},
		{"2 BODY.PEEK[2]", "* 2 FETCH (BODY[2] {8}\r\nAAECAw==)"},
		{"2 BODY.PEEK[2.MIME]", literalReply("* 2 FETCH (BODY[2.MIME] ", "Content-Type: application/octet-stream; name=\"data.bin\"\r\nContent-Disposition: attachment; filename=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")},
		{"2 BODY.PEEK[3]", "* 2 FETCH (BODY[3] {0}\r\n)"},
		{"2 BODY.PEEK[TEXT]<0.23>", "* 2 FETCH (BODY[TEXT]<0> {23}\r\nThis is a MIME message.)"},
		{"2 BODY.PEEK[TEXT]<100000.10>", "* 2 FETCH (BODY[TEXT]<100000> {0}\r\n)"},
		{"2 BODY.PEEK[TEXT]", fmt.Sprintf("* 2 FETCH (BODY[TEXT] {%d}\r\n%s)", len(body2), body2)},
		{"2 RFC822.HEADER", fmt.Sprintf("* 2 FETCH (RFC822.HEADER {%d}\r\n%s\r\n\r\n)", len(header2)+4, header2)},
		{"1 (BODY.PEEK[HEADER.FIELDS (subject to)])", literalReply("* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT TO)] ", "To: alice@example.com\r\nSubject: Lunch on Friday\r\n\r\n")},
		{"1 BODY.PEEK[HEADER.FIELDS.NOT (From To Date Message-ID)]", literalReply("* 1 FETCH (BODY[HEADER.FIELDS.NOT (FROM TO DATE MESSAGE-ID)] ", "Subject: Lunch on Friday\r\n\r\n")},
		{"1 FAST", fmt.Sprintf("* 1 FETCH (FLAGS (\\Recent) INTERNALDATE \"05-Jan-2026 09:00:00 +0000\" RFC822.SIZE %d)", len(msgPlain))},
		{"1:* FLAGS", "* 1 FETCH (FLAGS (\\Recent))\r\n* 2 FETCH (FLAGS (\\Recent))\r\n* 3 FETCH (FLAGS (\\Recent))"},
		{"2:* UID", "* 2 FETCH (UID 2)\r\n* 3 FETCH (UID 3)"},
	}
	for _, tt := range tests {
		t.Run(tt.items, func(t *testing.T) {
			got := c.transcript("f", "FETCH "+tt.items)
			if want := tt.want + "\r\nf OK Fetch completed.\r\n"; got != want {
				t.Errorf("FETCH %s:\n%q\nwant\n%q", tt.items, got, want)
			}
		})
	}
	t.Run("UID FETCH", func(t *testing.T) {
		want := "* 3 FETCH (UID 3 RFC822.SIZE 191)\r\nu OK Fetch completed.\r\n"
		if got := c.transcript("u", "UID FETCH 3:* RFC822.SIZE"); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
		// A UID range past the end still includes the last message.
		want = "* 3 FETCH (UID 3)\r\nu OK Fetch completed.\r\n"
		if got := c.transcript("u", "UID FETCH 99:* UID"); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
		if got, want := c.transcript("u", "UID FETCH 50 UID"), "u OK Fetch completed.\r\n"; got != want {
			t.Errorf("missing UID: got %q, want %q", got, want)
		}
	})
}

func TestFetchSetsSeen(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.login(t)
	c.send("s SELECT INBOX")
	c.until("s")
	want := fmt.Sprintf("* 3 FETCH (UID 3 FLAGS (\\Seen \\Recent) RFC822 {%d}\r\n%s)\r\nf OK Fetch completed.\r\n", len(msgThird), msgThird)
	if got := c.transcript("f", "UID FETCH 3 RFC822"); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Already seen: no FLAGS added.
	want = "* 3 FETCH (BODY[TEXT] {39}\r\nNoon works. See you at the IPIP cafe.\r\n)\r\nf OK Fetch completed.\r\n"
	if got := c.transcript("f", "FETCH 3 BODY[TEXT]"); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	info, _ := ts.store.Status("alice", "INBOX")
	if info.Unseen != 2 {
		t.Errorf("store unseen = %d, want 2", info.Unseen)
	}
}

func TestSearch(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.login(t)
	c.send("s SELECT INBOX")
	c.until("s")
	c.send(`p STORE 1 +FLAGS (\Seen \Answered)`)
	c.until("p")
	tests := []struct{ criteria, want string }{
		{"ALL", "1 2 3"},
		{`(FROM "IPIP")`, "2"},
		{"FROM bob", "1 3"},
		{"TO carol", "2"},
		{"CC bob@example.com", "2"},
		{"SUBJECT lunch", "1 3"},
		{"SUBJECT café", "2"},
		{"CHARSET UTF-8 SUBJECT {5}\r\ncafé", "2"},
		{"BODY noon", "1 3"},
		{"TEXT ipip", "2 3"},
		{"HEADER In-Reply-To lunch-1", "3"},
		{`HEADER Message-ID ""`, "1"},
		{"SEEN", "1"},
		{"UNSEEN", "2 3"},
		{"ANSWERED", "1"},
		{"UNANSWERED", "2 3"},
		{"DELETED", ""},
		{"UNDELETED FLAGGED", ""},
		{"NEW", "2 3"},
		{"OLD", ""},
		{"RECENT", "1 2 3"},
		{"NOT SUBJECT lunch", "2"},
		{"OR FROM ipip SEEN", "1 2"},
		{"(OR SUBJECT Re: BODY MIME) NOT 2", "3"},
		{"2:*", "2 3"},
		{"UID 1,3", "1 3"},
		{"LARGER 300", "2"},
		{"SMALLER 190", "1"},
		{"SINCE 5-Jan-2026", "1 2 3"},
		{"BEFORE 5-Jan-2026", ""},
		{"ON 05-Jan-2026", "1 2 3"},
		{"SENTBEFORE 6-Jan-2026", "1"},
		{"SENTON 7-Jan-2026", "3"},
		{"SENTSINCE 6-Jan-2026", "2 3"},
		{"KEYWORD $Important", ""},
	}
	for _, tt := range tests {
		t.Run(tt.criteria, func(t *testing.T) {
			want := strings.TrimSpace("* SEARCH "+tt.want) + "\r\nq OK Search completed.\r\n"
			c.sendRaw("q SEARCH " + tt.criteria)
			got := c.transcriptAfterSend("q")
			if got != want {
				t.Errorf("SEARCH %s = %q, want %q", tt.criteria, got, want)
			}
		})
	}
	if got, want := c.transcript("u", "UID SEARCH FROM bob"), "* SEARCH 1 3\r\nu OK Search completed.\r\n"; got != want {
		t.Errorf("UID SEARCH = %q, want %q", got, want)
	}
}

// transcriptAfterSend finishes a command whose line was sent without CRLF.
func (c *rawClient) transcriptAfterSend(tag string) string {
	c.t.Helper()
	c.sendRaw("\r\n")
	var b strings.Builder
	for {
		l := c.line()
		if l == "+ Ready for literal data" {
			continue
		}
		b.WriteString(l + "\r\n")
		if strings.HasPrefix(l, tag+" ") {
			return b.String()
		}
	}
}

func TestStore(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.login(t)
	c.send("s SELECT INBOX")
	c.until("s")
	tests := []struct{ command, want string }{
		// A new keyword is announced before the FETCH that carries it.
		{`STORE 1 FLAGS (\Seen $Work)`, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n" +
			"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work \\*)] Flags permitted.\r\n" +
			`* 1 FETCH (FLAGS ($Work \Seen \Recent))`},
		{`STORE 1 -FLAGS $Work`, `* 1 FETCH (FLAGS (\Seen \Recent))`},
		{`STORE 1:2 +FLAGS (\flagged)`, "* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent))\r\n* 2 FETCH (FLAGS (\\Flagged \\Recent))"},
		{`STORE 2 +FLAGS.SILENT (\Answered)`, ""},
		{`UID STORE 2 -FLAGS (\Flagged)`, `* 2 FETCH (UID 2 FLAGS (\Answered \Recent))`},
		{`STORE 3 FLAGS ()`, `* 3 FETCH (FLAGS (\Recent))`},
	}
	for _, tt := range tests {
		want := tt.want + "\r\nt OK Store completed.\r\n"
		if tt.want == "" {
			want = "t OK Store completed.\r\n"
		}
		if got := c.transcript("t", tt.command); got != want {
			t.Errorf("%s:\n%q\nwant\n%q", tt.command, got, want)
		}
	}
	c.send("e EXAMINE INBOX")
	c.until("e")
	// Like Dovecot: OK, and nothing changes.
	if got, want := c.transcript("t", `STORE 1 +FLAGS (\Deleted)`), "t OK Store ignored: the mailbox is read-only (EXAMINE); SELECT it to change flags.\r\n"; got != want {
		t.Errorf("STORE in EXAMINE = %q, want %q", got, want)
	}
	if got := c.transcript("f", "FETCH 1 FLAGS"); strings.Contains(got, `\Deleted`) {
		t.Errorf("STORE in EXAMINE changed the flags: FETCH 1 FLAGS = %q", got)
	}
}

func TestCopyAndUIDPlus(t *testing.T) {
	ts := newTestServer(t, serverOptions{maxMessages: 5})
	c := ts.login(t)
	steps := []struct{ command, want string }{
		{"CREATE Archive", "x OK Create completed.\r\n"},
		{"SELECT INBOX", ""},
		{"COPY 2:3 Archive", "x OK [COPYUID 1700000002 2:3 1:2] Copy completed.\r\n"},
		{"UID COPY 1 Archive", "x OK [COPYUID 1700000002 1 3] Copy completed.\r\n"},
		{"COPY 1 Missing", "x NO [TRYCREATE] Mailbox doesn't exist: Missing\r\n"},
		{"COPY 1:* Archive", "x NO [LIMIT] Mailbox Archive would exceed 5 messages.\r\n"},
		{`STORE 1:2 +FLAGS.SILENT (\Deleted)`, "x OK Store completed.\r\n"},
		{"UID EXPUNGE 2:3", "* 2 EXPUNGE\r\nx OK Expunge completed.\r\n"},
		{"STATUS Archive (MESSAGES RECENT UIDNEXT)", "* STATUS Archive (MESSAGES 3 RECENT 3 UIDNEXT 4)\r\nx OK Status completed.\r\n"},
		{"APPEND Archive {1+}\r\nx", "x OK [APPENDUID 1700000002 4] Append completed.\r\n"},
		{"APPEND Archive {1+}\r\ny", "x OK [APPENDUID 1700000002 5] Append completed.\r\n"},
		{"APPEND Archive {1+}\r\nz", "x NO [LIMIT] Mailbox Archive is full (5 messages).\r\n"},
		{"CLOSE", "x OK Close completed.\r\n"},
		{"STATUS INBOX (MESSAGES)", "* STATUS INBOX (MESSAGES 1)\r\nx OK Status completed.\r\n"},
	}
	for _, step := range steps {
		got := c.transcript("x", step.command)
		if step.want != "" && got != step.want {
			t.Errorf("%s:\n%q\nwant\n%q", step.command, got, step.want)
		}
	}
}

func TestMailboxCommands(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.login(t)
	steps := []struct{ command, want string }{
		{`LIST "" ""`, "* LIST (\\Noselect) \"/\" \"\"\r\nm OK List completed.\r\n"},
		{"CREATE Work/", "m OK Create completed.\r\n"},
		{"CREATE Work/2026", "m OK Create completed.\r\n"},
		{`CREATE "My Stuff"`, "m OK Create completed.\r\n"},
		{"CREATE INBOX", "m NO Mailbox already exists: INBOX\r\n"},
		{`LIST "" *`, "* LIST (\\HasNoChildren) \"/\" INBOX\r\n* LIST (\\HasNoChildren) \"/\" \"My Stuff\"\r\n* LIST (\\HasChildren) \"/\" Work\r\n* LIST (\\HasNoChildren) \"/\" Work/2026\r\nm OK List completed.\r\n"},
		{`LIST "" %`, "* LIST (\\HasNoChildren) \"/\" INBOX\r\n* LIST (\\HasNoChildren) \"/\" \"My Stuff\"\r\n* LIST (\\HasChildren) \"/\" Work\r\nm OK List completed.\r\n"},
		{`LIST Work/ %`, "* LIST (\\HasNoChildren) \"/\" Work/2026\r\nm OK List completed.\r\n"},
		{`LIST "" inbox`, "* LIST (\\HasNoChildren) \"/\" INBOX\r\nm OK List completed.\r\n"},
		// Like Dovecot, nothing is subscribed until a client asks.
		{`LSUB "" *`, "m OK Lsub completed.\r\n"},
		{`SUBSCRIBE "My Stuff"`, "m OK Subscribe completed.\r\n"},
		{`SUBSCRIBE Work/2026`, "m OK Subscribe completed.\r\n"},
		{`LSUB "" *`, "* LSUB () \"/\" \"My Stuff\"\r\n* LSUB () \"/\" Work/2026\r\nm OK Lsub completed.\r\n"},
		{`UNSUBSCRIBE "My Stuff"`, "m OK Unsubscribe completed.\r\n"},
		{`LSUB "" *`, "* LSUB () \"/\" Work/2026\r\nm OK Lsub completed.\r\n"},
		{`SUBSCRIBE Nope`, "m NO Mailbox doesn't exist: Nope\r\n"},
		{`RENAME "My Stuff" Stuff`, "m OK Rename completed.\r\n"},
		{`RENAME Stuff Work`, "m NO Mailbox already exists: Work\r\n"},
		{`DELETE Stuff`, "m OK Delete completed.\r\n"},
		{`DELETE Stuff`, "m NO Mailbox doesn't exist: Stuff\r\n"},
		{`DELETE inbox`, "m NO INBOX can't be deleted.\r\n"},
		{`STATUS inbox (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)`, "* STATUS INBOX (MESSAGES 3 RECENT 3 UIDNEXT 4 UIDVALIDITY 1700000000 UNSEEN 3)\r\nm OK Status completed.\r\n"},
		{`EXAMINE Work/2026`, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1700000003] UIDs valid\r\n* OK [UIDNEXT 1] Predicted next UID\r\nm OK [READ-ONLY] Examine completed.\r\n"},
		{`FETCH 1:* FLAGS`, "m OK Fetch completed.\r\n"},
		{`EXPUNGE`, "m NO Mailbox is read-only (EXAMINE); SELECT it to expunge.\r\n"},
		{`DELETE Work/2026`, "m NO Can't delete the selected mailbox; CLOSE it first.\r\n"},
		{`SELECT Nope`, "m NO Mailbox doesn't exist: Nope\r\n"},
		{`FETCH 1 FLAGS`, "m BAD Error in IMAP command FETCH: No mailbox selected (SELECT or EXAMINE one first).\r\n"},
	}
	for _, step := range steps {
		if got := c.transcript("m", step.command); got != step.want {
			t.Errorf("%s:\n%q\nwant\n%q", step.command, got, step.want)
		}
	}
}

func TestAuthenticatePlain(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	tests := []struct {
		name  string
		lines []string // client lines; after the first, each answers a "+ "
		want  string
	}{
		{"initial response", []string{"a AUTHENTICATE PLAIN AGFsaWNlAGFsaWNlLXB3"}, "a OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS ID ENABLE NAMESPACE UNSELECT CHILDREN LIST-EXTENDED LIST-STATUS MOVE UNAUTHENTICATE] Logged in."},
		{"continuation", []string{"a AUTHENTICATE PLAIN", "AGJvYgBib2ItcHc="}, "a OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS ID ENABLE NAMESPACE UNSELECT CHILDREN LIST-EXTENDED LIST-STATUS MOVE UNAUTHENTICATE] Logged in."},
		{"address as user", []string{"a AUTHENTICATE PLAIN", "AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlLXB3"}, "a OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS ID ENABLE NAMESPACE UNSELECT CHILDREN LIST-EXTENDED LIST-STATUS MOVE UNAUTHENTICATE] Logged in."},
		{"wrong password", []string{"a AUTHENTICATE PLAIN AGFsaWNlAHdyb25n"}, "a NO [AUTHENTICATIONFAILED] Authentication failed."},
		{"aborted", []string{"a AUTHENTICATE PLAIN", "*"}, "a BAD Error in IMAP command AUTHENTICATE: Authentication aborted by client."},
		{"bad base64", []string{"a AUTHENTICATE PLAIN", "!!!"}, "a BAD Error in IMAP command AUTHENTICATE: Invalid base64 in authentication response."},
		{"other authzid", []string{"a AUTHENTICATE PLAIN Ym9iAGFsaWNlAGFsaWNlLXB3"}, "a NO [AUTHORIZATIONFAILED] Logging in as another user is not allowed."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ts.dial(t)
			c.send(tt.lines[0])
			for _, l := range tt.lines[1:] {
				if got := c.line(); got != "+ " {
					t.Fatalf("continuation = %q, want %q", got, "+ ")
				}
				c.send(l)
			}
			if got := c.line(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStartTLS(t *testing.T) {
	ts := newTestServer(t, serverOptions{tls: true, secureOnly: true})
	c := ts.dial(t)
	if got, want := c.transcript("a1", "LOGIN alice alice-pw"), "a1 NO [PRIVACYREQUIRED] Plaintext login is disabled here; use STARTTLS first.\r\n"; got != want {
		t.Errorf("LOGIN before TLS = %q, want %q", got, want)
	}
	c.send("a2 STARTTLS")
	if got := c.line(); got != "a2 OK Begin TLS negotiation now." {
		t.Fatalf("STARTTLS = %q", got)
	}
	tc := tls.Client(c.conn, ts.bundle.ClientConfig("localhost"))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	c.conn = tc
	c.r.Reset(tc)
	want := "* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS ID ENABLE NAMESPACE UNSELECT CHILDREN LIST-EXTENDED LIST-STATUS MOVE UNAUTHENTICATE AUTH=PLAIN\r\na3 OK Capability completed.\r\n"
	if got := c.transcript("a3", "CAPABILITY"); got != want {
		t.Errorf("CAPABILITY after TLS = %q, want %q", got, want)
	}
	if got, want := c.transcript("a4", "STARTTLS"), "a4 BAD Error in IMAP command STARTTLS: TLS is already active.\r\n"; got != want {
		t.Errorf("second STARTTLS = %q, want %q", got, want)
	}
	if got := c.transcript("a5", "LOGIN alice alice-pw"); !strings.HasPrefix(got, "a5 OK ") {
		t.Errorf("LOGIN after TLS = %q", got)
	}
}

func TestImplicitTLS(t *testing.T) {
	ts := newTestServer(t, serverOptions{implicitTLS: true, secureOnly: true})
	conn, err := tls.Dial("tcp", ts.addr, ts.bundle.ClientConfig("mail.example.com"))
	if err != nil {
		t.Fatalf("tls.Dial: %v", err)
	}
	defer conn.Close()
	buf := make([]byte, 200)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(buf[:n]), "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS ID ENABLE NAMESPACE UNSELECT CHILDREN LIST-EXTENDED LIST-STATUS MOVE UNAUTHENTICATE AUTH=PLAIN] wirebook lab IMAP server ready.\r\n"; got != want {
		t.Errorf("greeting over TLS = %q, want %q", got, want)
	}
}

func TestFlagChangesFromOtherSession(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.login(t)
	c.send("s SELECT INBOX")
	c.until("s")
	other := ts.login(t)
	other.send("o1 SELECT INBOX")
	other.until("o1")
	other.send(`o2 STORE 3 +FLAGS.SILENT (\Flagged)`)
	other.until("o2")
	if err := ts.store.Deliver([]string{"alice"}, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	want := "* 4 EXISTS\r\n* 4 RECENT\r\n* 3 FETCH (FLAGS (\\Flagged \\Recent))\r\nn OK NOOP completed.\r\n"
	if got := c.transcript("n", "NOOP"); got != want {
		t.Errorf("NOOP:\n%q\nwant\n%q", got, want)
	}
	if got := c.transcript("n", "NOOP"); got != "n OK NOOP completed.\r\n" {
		t.Errorf("second NOOP reported again: %q", got)
	}
}

func TestCloseEndsSessions(t *testing.T) {
	store := newTestServer(t, serverOptions{}).store
	l, err := netListen(t)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Config{Store: store})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	c := (&testServer{addr: l.Addr().String()}).login(t)
	c.send("s SELECT INBOX")
	c.until("s")
	c.send("i IDLE")
	c.line()
	srv.Close()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	// Like Dovecot: a goodbye, also in IDLE, not just a closed socket.
	if got, want := c.line(), "* BYE Server shutting down."; got != want {
		t.Errorf("after Close: %q, want %q", got, want)
	}
	c.expectClosed()
}

func TestMaxConnections(t *testing.T) {
	store := newTestServer(t, serverOptions{}).store
	l, err := netListen(t)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Config{Store: store, MaxConnections: 1})
	go srv.Serve(l)
	defer srv.Close()
	ts := &testServer{addr: l.Addr().String()}
	first := ts.dial(t)
	second, err := netDial(ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	// Over the bound a client waits for its greeting, not a BYE.
	first.send("a NOOP")
	if got := first.line(); got != "a OK NOOP completed." {
		t.Errorf("first connection = %q", got)
	}
	first.conn.Close()
	c := &rawClient{t: t, conn: second, r: newTestReader(second)}
	if got := c.line(); !strings.HasPrefix(got, "* OK ") {
		t.Errorf("second connection = %q, want the greeting", got)
	}
}

func TestIdleTimeout(t *testing.T) {
	ts := newTestServer(t, serverOptions{idleDuration: 200 * time.Millisecond})
	c := ts.dial(t)
	if got, want := c.line(), "* BYE Disconnected for inactivity."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	c.expectClosed()
}

// literalReply is prefix, then data as a literal, then ")".
func literalReply(prefix, data string) string {
	return fmt.Sprintf("%s{%d}\r\n%s)", prefix, len(data), data)
}

func TestLiteralsInOtherCommands(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.dial(t)
	c.send("a1 LOGIN {5}")
	if got := c.line(); got != "+ Ready for literal data" {
		t.Fatalf("continuation = %q", got)
	}
	c.sendRaw("alice {8+}\r\nalice-pw\r\n")
	if got := c.line(); !strings.HasPrefix(got, "a1 OK [CAPABILITY ") {
		t.Fatalf("LOGIN with literals = %q", got)
	}
	// A command that arrives in pieces, the literal split mid-way.
	msg := "Subject: pieces\r\n\r\nbody\r\n"
	for _, piece := range []string{"a2 APP", fmt.Sprintf("END INBOX {%d+}\r\n", len(msg)), msg[:7], msg[7:], "\r", "\n"} {
		c.sendRaw(piece)
		time.Sleep(5 * time.Millisecond)
	}
	if got, want := c.line(), "a2 OK [APPENDUID 1700000000 4] Append completed."; got != want {
		t.Errorf("split APPEND = %q, want %q", got, want)
	}
	msgs, _, _ := ts.store.Messages("alice", "INBOX")
	if got := string(msgs[3].Data); got != msg {
		t.Errorf("stored %q, want %q", got, msg)
	}
}
