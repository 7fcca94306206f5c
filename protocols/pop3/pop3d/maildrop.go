package pop3d

import (
	"bytes"
	"fmt"

	"github.com/wirebook/wirebook/protocols/mailstore"
)

// maildrop is the snapshot of a user's INBOX taken at login: message
// numbers 1..n stay fixed for the session, whatever arrives meanwhile.
type maildrop struct {
	msgs        []mailstore.Message
	uidValidity uint32
	deleted     []bool
	retrieved   []bool
}

func newMaildrop(msgs []mailstore.Message, uidValidity uint32) *maildrop {
	return &maildrop{msgs: msgs, uidValidity: uidValidity, deleted: make([]bool, len(msgs)), retrieved: make([]bool, len(msgs))}
}

// stat counts and sizes the messages not marked deleted.
func (d *maildrop) stat() (count, octets int) {
	for i, m := range d.msgs {
		if !d.deleted[i] {
			count++
			octets += m.Size()
		}
	}
	return count, octets
}

// lookup resolves a message-number argument to an index, or gives the -ERR
// text explaining why it cannot.
func (d *maildrop) lookup(arg string) (int, string) {
	n, ok := parseNumber(arg)
	if !ok {
		return 0, fmt.Sprintf("Invalid message number: %s", printable(arg))
	}
	if n < 1 || n > len(d.msgs) {
		return 0, fmt.Sprintf("No message %d; the maildrop has %s.", n, plural(len(d.msgs), "message"))
	}
	if d.deleted[n-1] {
		return 0, fmt.Sprintf("Message %d is marked deleted.", n)
	}
	return n - 1, ""
}

// uidl is the unique id of message i: its UID and the mailbox UIDVALIDITY in
// hex, stable across sessions for as long as the message exists.
func (d *maildrop) uidl(i int) string {
	return fmt.Sprintf("%08x%08x", d.msgs[i].UID, d.uidValidity)
}

// deletedUIDs lists the UIDs marked for deletion.
func (d *maildrop) deletedUIDs() []uint32 {
	var out []uint32
	for i, m := range d.msgs {
		if d.deleted[i] {
			out = append(out, m.UID)
		}
	}
	return out
}

// seenUIDs lists the UIDs retrieved and not deleted: they become \Seen.
func (d *maildrop) seenUIDs() []uint32 {
	var out []uint32
	for i, m := range d.msgs {
		if d.retrieved[i] && !d.deleted[i] {
			out = append(out, m.UID)
		}
	}
	return out
}

// dotStuff writes data as a multi-line response body: every line ends in
// CRLF (a bare LF or a missing final line end is repaired) and a line that
// starts with "." gets one more, so that no line reads as the terminator.
// With maxBody >= 0 only the header, the blank line and maxBody body lines
// are written (TOP).
func dotStuff(buf *bytes.Buffer, data []byte, maxBody int) {
	inBody := false
	bodyLines := 0
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if inBody && maxBody >= 0 {
			if bodyLines >= maxBody {
				return
			}
			bodyLines++
		}
		if len(line) > 0 && line[0] == '.' {
			buf.WriteByte('.')
		}
		buf.Write(line)
		buf.WriteString("\r\n")
		if !inBody && len(line) == 0 {
			inBody = true
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
