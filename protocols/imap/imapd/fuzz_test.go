package imapd

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols/mailstore"
)

// FuzzParseCommand feeds command buffers (as readCommand assembles them)
// to the tokenizer and to every argument parser the handlers use: none
// may panic, and a parsed command must have a valid tag and a name.
func FuzzParseCommand(f *testing.F) {
	for _, seed := range []string{
		"a1 CAPABILITY",
		"A0001 USER \"frobozz\" \"xyzzy\"",
		"a2 LOGIN alice \"alice-pw\"",
		"a3 AUTHENTICATE PLAIN AGFsaWNlAGFsaWNlLXB3",
		"a4 LIST \"\" *",
		"a5 STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)",
		"a6 SELECT INBOX",
		"a7 SEARCH (FROM \"IPIP\")",
		"a8 SEARCH CHARSET UTF-8 OR SUBJECT {5}\r\ncafé NOT SEEN SINCE 1-Feb-1994 UID 1:*",
		"a9 FETCH 1 (BODY[HEADER])",
		"b1 UID FETCH 1:* (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (FROM TO)]<0.100> ENVELOPE BODYSTRUCTURE)",
		"b2 FETCH 2 BODY[2.MIME]",
		"b3 STORE 1:3 +FLAGS.SILENT (\\Deleted \\Seen $Work)",
		"b4 APPEND INBOX (\\Seen) \"05-Jan-2026 09:00:00 +0000\" {14+}\r\nSubject: x\r\n\r\n",
		"b5 UID COPY 1,3:5 Archive",
		"b6 UID EXPUNGE 4:*",
		"b7 IDLE",
		"* BAD",
		"b8 X (((",
		"b9 LOGIN {3}\r\nabc",
	} {
		f.Add([]byte(seed))
	}
	raw := []byte(msgMultipart)
	root := parseEntity(raw, "text/plain", 0)
	f.Fuzz(func(t *testing.T, buf []byte) {
		cmd, err := parseCommand(buf)
		if err != nil {
			return
		}
		if !validTag(cmd.tag) || cmd.name == "" {
			t.Fatalf("parseCommand(%q) = tag %q name %q without error", buf, cmd.tag, cmd.name)
		}
		for i, a := range cmd.args {
			_ = a.String()
			if a.kind == argAtom {
				parseSeqSet(a.text)
			}
			if items, err := parseFetchItems(a); err == nil {
				var b bytes.Buffer
				for _, it := range items {
					if it.section != nil {
						it.section.data(root, raw)
					}
					b.WriteString(it.label())
				}
			}
			if a.kind == argList {
				parseFlags(a.list)
			}
			parseSearch(cmd.args[i:], 3, 3)
		}
	})
}

// FuzzParseEntity renders ENVELOPE and BODYSTRUCTURE of arbitrary
// messages: no panic, and parentheses always balance outside strings.
func FuzzParseEntity(f *testing.F) {
	for _, seed := range []string{msgPlain, msgMultipart, msgThird, "", "\r\n", "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n--a\r\nContent-Type: message/rfc822\r\n\r\n--a--"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e := parseEntity(raw, "text/plain", 0)
		var b bytes.Buffer
		e.envelope(&b)
		e.bodyStructure(&b, true)
		e.bodyStructure(&b, false)
		if depth := parenDepth(b.Bytes()); depth != 0 {
			t.Fatalf("unbalanced output (depth %d) for %q:\n%s", depth, raw, b.Bytes())
		}
	})
}

// parenDepth returns the final nesting depth of IMAP output, skipping
// quoted strings and literals.
func parenDepth(out []byte) int {
	depth := 0
	for i := 0; i < len(out); i++ {
		switch out[i] {
		case '"':
			for i++; i < len(out) && out[i] != '"'; i++ {
				if out[i] == '\\' {
					i++
				}
			}
		case '{':
			p := &parser{buf: out, pos: i}
			if _, err := p.literal(); err == nil {
				i = p.pos - 1
			}
		case '(':
			depth++
		case ')':
			depth--
		}
	}
	return depth
}

// FuzzSession runs a whole session on the fuzzed client stream, so every
// handler sees hostile arguments. It calls serve directly: no recover
// hides a panic.
func FuzzSession(f *testing.F) {
	login := "a LOGIN alice alice-pw\r\nb SELECT INBOX\r\n"
	for _, seed := range []string{
		"a CAPABILITY\r\nb NOOP\r\nc LOGOUT\r\n",
		login + "c FETCH 1:* (FLAGS BODY[1.2] BODY.PEEK[2.MIME] ENVELOPE BODYSTRUCTURE)\r\n",
		login + "c SEARCH OR FROM ipip NOT SEEN\r\nd UID SEARCH 2:* SUBJECT lunch\r\n",
		login + "c STORE 1 +FLAGS (\\Deleted)\r\nd EXPUNGE\r\ne UID EXPUNGE 1:*\r\n",
		login + "c APPEND INBOX {5}\r\nhello\r\nd COPY 1:* INBOX\r\ne CLOSE\r\n",
		login + "c IDLE\r\nDONE\r\nd LIST \"\" *\r\ne STATUS INBOX (MESSAGES)\r\n",
		"a AUTHENTICATE PLAIN\r\nAGFsaWNlAGFsaWNlLXB3\r\nb CREATE x\r\nc RENAME x y\r\nd DELETE y\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		store := newFuzzStore(t)
		srv := New(Config{Store: store, MaxLine: 1024, MaxBadCommands: 1000, MaxMailboxMessages: 50})
		conn := &scriptConn{r: bytes.NewReader(append(input, "\r\nz LOGOUT\r\n"...))}
		newSession(srv, conn).serve()
	})
}

// scriptConn is a connection whose client sends a fixed byte stream and
// then hangs up; what the server writes is dropped.
type scriptConn struct {
	net.Conn // nil: methods not overridden here are never used
	r        *bytes.Reader
}

func (c *scriptConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *scriptConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *scriptConn) Close() error                     { return nil }
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }

func newFuzzStore(t *testing.T) *mailstore.Store {
	store := mailstore.New(mailstore.Config{Clock: mailstore.NewStepClock(), MaxMessage: 4096})
	for _, m := range []string{msgPlain, msgMultipart, msgThird} {
		if err := store.Deliver([]string{"alice"}, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	return store
}
