// Package imap holds the client side of IMAP4rev1 (RFC 3501) for wirebook
// session blocks: it sends a lab's C: lines and reads each complete
// response through the recording Wire.
//
// The dialogue rules it follows:
//
//   - The greeting is one untagged line: "* OK", "* PREAUTH" or "* BYE".
//     After a BYE greeting the server closes; lines left in the script are
//     an error.
//   - Every command line starts with its tag. The response to a command
//     ends at the line starting with that tag followed by OK, NO or BAD.
//     Untagged lines ("* ...") may come at any time and are kept in the
//     transcript.
//   - An untagged line ending in "{n}" is followed by exactly n bytes (a
//     literal): they are read by count, so CRLFs and tag-like text inside
//     belong to the literal, and the line then continues after it.
//   - A client line ending in "{n}" starts a synchronizing literal: it is
//     sent, the client waits for a "+" continuation, then sends the next
//     script lines as the n literal bytes (the lines joined with CRLF; the
//     CRLF after the line where the literal ends ends the command, unless
//     more command text follows the literal on that line). "{n+}"
//     (LITERAL+, RFC 7888) does not wait. If the server answers with a
//     tagged reply instead of "+", the literal is not sent.
//   - AUTHENTICATE: each "+" continuation is answered with the next script
//     line, until the tagged reply.
//   - IDLE: the script line after IDLE must be DONE. DONE is sent as soon
//     as the "+" continuation arrives, and the client reads until the
//     tagged reply. Waiting for the server's updates would depend on timing,
//     and a lab's transcript must be the same on every run.
//   - STARTTLS: after the tagged OK the client starts TLS.
//   - LOGOUT: after the tagged OK the client waits for the server to close.
//   - Lines written "C+" are pipelined: every command of the group is sent
//     before any reply is read, then the client reads until each tag of the
//     group has its tagged reply, in whatever order the server sends them.
//     STARTTLS, AUTHENTICATE and IDLE change how the next lines are read,
//     so they cannot be part of a pipelined group.
//
// A server that breaks these rules (a line that is neither untagged, a
// continuation nor a tagged reply, a tagged reply for a tag no command
// carries) gives a *protocols.ProtocolError.
package imap

import (
	"context"
	"fmt"
	"strings"

	"github.com/wirebook/wirebook/protocols"
)

// Protocol is IMAP on port 143, and IMAP over implicit TLS ("imaps") on
// port 993.
type Protocol struct{}

// Info names the protocol and its ports.
func (Protocol) Info() protocols.Info {
	return protocols.Info{Name: "imap", Port: 143, TLSName: "imaps", TLSPort: 993}
}

// Run reads the greeting, then plays the script one group of commands at a
// time.
func (Protocol) Run(ctx context.Context, s *protocols.Session) error {
	c := newClient(s.Wire, s.Script)
	open, err := c.greeting()
	if err != nil || !open {
		return err
	}
	for c.script.More() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("imap: %w", err)
		}
		if err := c.runGroup(); err != nil {
			return err
		}
		if c.loggedOut {
			if l, ok := c.script.Peek(); ok {
				return fmt.Errorf("imap: line %d: the script goes on after LOGOUT", l.Source)
			}
			c.w.ExpectClose()
			return nil
		}
	}
	return nil
}

// client is the state of one run.
type client struct {
	w         *protocols.Wire
	script    *protocols.Script
	pending   map[string]*command // sent, awaiting their tagged reply
	out       []outWrite          // queued client bytes not yet written
	bye       string              // the last untagged BYE, to explain a close
	loggedOut bool
}

func newClient(w *protocols.Wire, script *protocols.Script) *client {
	return &client{w: w, script: script, pending: map[string]*command{}}
}

// greeting reads the server's first line. open is false when the server
// said BYE and the session is over.
func (c *client) greeting() (open bool, err error) {
	r, err := c.readResponse("the greeting", "")
	if err != nil {
		return false, err
	}
	if r.kind != untagged {
		return false, protoErr("the greeting %s is not an untagged line", quote(r.line))
	}
	switch r.status {
	case "OK", "PREAUTH":
		return true, nil
	case "BYE":
		c.w.ExpectClose()
		if l, ok := c.script.Peek(); ok {
			return false, fmt.Errorf("imap: the server refused the session with %s; line %d and after were not sent",
				quote(r.line), l.Source)
		}
		return false, nil
	}
	return false, protoErr("the greeting %s is not * OK, * PREAUTH or * BYE", quote(r.line))
}

// runGroup sends one command, or a pipelined group of them, and reads until
// every one has its tagged reply.
func (c *client) runGroup() error {
	var group []*command
	for {
		line, _ := c.script.Next()
		cmd, err := parseCommand(line)
		if err != nil {
			return err
		}
		if c.pending[cmd.tag] != nil {
			return fmt.Errorf("imap: line %d: tag %s is already used by a command still in progress", line.Source, cmd.tag)
		}
		if cmd.exclusive() && (len(group) > 0 || c.nextPipelined()) {
			return fmt.Errorf("imap: line %d: %s cannot be pipelined: the client must see its reply before sending more", line.Source, cmd.name)
		}
		if cmd.name == "IDLE" {
			if next, ok := c.script.Peek(); !ok || !strings.EqualFold(next.Text, "DONE") {
				return fmt.Errorf("imap: line %d: IDLE must be followed by a DONE line", line.Source)
			}
		}
		c.pending[cmd.tag] = cmd
		group = append(group, cmd)
		if err := c.sendCommand(cmd, line); err != nil {
			return err
		}
		if !c.nextPipelined() {
			break
		}
	}
	if err := c.flush(); err != nil {
		return err
	}
	for _, cmd := range group {
		if err := c.await(cmd); err != nil {
			return err
		}
	}
	for _, cmd := range group {
		if cmd.name == "STARTTLS" && cmd.status != "OK" {
			return c.w.RefuseTLS("imap", "STARTTLS")
		}
		if cmd.status != "OK" {
			continue
		}
		switch cmd.name {
		case "STARTTLS":
			if err := c.w.StartTLS(); err != nil {
				return fmt.Errorf("imap: %w", err)
			}
		case "LOGOUT":
			c.loggedOut = true
		}
	}
	return nil
}

func (c *client) nextPipelined() bool {
	l, ok := c.script.Peek()
	return ok && l.Pipelined
}

// sendCommand queues the command line and any literals it carries, waiting
// for the server's go-ahead where the protocol says so. It leaves the last
// bytes queued when nothing needs waiting for, so a pipelined group goes
// out together.
func (c *client) sendCommand(cmd *command, line protocols.ClientLine) error {
	c.queue(line, false)
	text := line.Text
	for {
		lit, ok := clientLiteral(text)
		if !ok {
			break
		}
		if lit.sync {
			if err := c.flush(); err != nil {
				return err
			}
			goAhead, err := c.awaitContinuation(cmd)
			if err != nil {
				return err
			}
			if !goAhead {
				return nil // refused: the literal is not sent
			}
		}
		tail, err := c.queueLiteral(lit.size, line.Source)
		if err != nil {
			return err
		}
		text = tail
	}
	switch cmd.name {
	case "IDLE":
		return c.idle(cmd)
	case "AUTHENTICATE":
		return c.authenticate(cmd)
	}
	return nil
}

// idle sends DONE once the server has accepted IDLE.
func (c *client) idle(cmd *command) error {
	if err := c.flush(); err != nil {
		return err
	}
	goAhead, err := c.awaitContinuation(cmd)
	if err != nil {
		return err
	}
	done, _ := c.script.Next()
	if !goAhead {
		c.w.Note("DONE (line %d) not sent: the server refused IDLE", done.Source)
		return nil
	}
	c.queue(done, false)
	return c.flush()
}

// authenticate answers each continuation with the next script line.
func (c *client) authenticate(cmd *command) error {
	if err := c.flush(); err != nil {
		return err
	}
	for {
		goAhead, err := c.awaitContinuation(cmd)
		if err != nil || !goAhead {
			return err
		}
		answer, ok := c.script.Next()
		if !ok {
			return fmt.Errorf("imap: the server asks for more authentication data for %s, but the script has no more lines", cmd.tag)
		}
		c.queue(answer, false)
		if err := c.flush(); err != nil {
			return err
		}
	}
}

// await reads responses until cmd has its tagged reply.
func (c *client) await(cmd *command) error {
	for !cmd.done {
		r, err := c.readResponse("the reply to ", cmd.tag)
		if err != nil {
			return err
		}
		if r.kind == continuation {
			return protoErr("unexpected continuation request %s: no command is waiting to send more", quote(r.line))
		}
	}
	return nil
}

// awaitContinuation reads responses until the server sends a "+"
// continuation (goAhead) or a tagged reply to cmd (the server refused).
// Replies to other pipelined commands may arrive meanwhile.
func (c *client) awaitContinuation(cmd *command) (goAhead bool, err error) {
	for {
		r, err := c.readResponse("a continuation request for ", cmd.tag)
		if err != nil {
			return false, err
		}
		switch {
		case r.kind == continuation:
			return true, nil
		case cmd.done:
			return false, nil
		}
	}
}

// queueLiteral queues the script lines that make up a client literal of
// size bytes and returns the command text that follows the literal on its
// last line.
func (c *client) queueLiteral(size int64, source int) (tail string, err error) {
	remaining := size
	for {
		l, ok := c.script.Next()
		if !ok {
			return "", fmt.Errorf("imap: line %d: the script ends inside a %d-byte literal (%d bytes missing)", source, size, remaining)
		}
		n := int64(len(l.Text))
		switch {
		case remaining <= n:
			c.queue(l, remaining > 0)
			return l.Text[remaining:], nil
		case remaining == n+1:
			return "", fmt.Errorf("imap: line %d: the %d-byte literal of line %d would end between CR and LF", l.Source, size, source)
		}
		c.queue(l, true)
		remaining -= n + 2
	}
}

// outWrite is client bytes queued for one Wire.Write: lines of the same
// kind (command or literal payload).
type outWrite struct {
	buf     []byte
	lines   []protocols.ClientLine
	payload bool
}

func (c *client) queue(l protocols.ClientLine, payload bool) {
	if n := len(c.out); n == 0 || c.out[n-1].payload != payload {
		if n < cap(c.out) {
			// A write flushed before: its buffers serve again.
			c.out = c.out[:n+1]
			o := &c.out[n]
			o.buf, o.lines, o.payload = o.buf[:0], o.lines[:0], payload
		} else {
			c.out = append(c.out, outWrite{payload: payload})
		}
	}
	last := &c.out[len(c.out)-1]
	last.buf = append(append(last.buf, l.Text...), "\r\n"...)
	last.lines = append(last.lines, l)
}

// flush writes the queued bytes, back to back.
func (c *client) flush() error {
	out := c.out
	// Wire.Write keeps neither the bytes nor the lines: the next queue
	// reuses them.
	c.out = c.out[:0]
	for _, o := range out {
		if err := c.w.Write(o.buf, o.lines, o.payload); err != nil {
			return fmt.Errorf("imap: %w", err)
		}
	}
	return nil
}

func protoErr(format string, args ...any) error {
	return &protocols.ProtocolError{Proto: "imap", Msg: fmt.Sprintf(format, args...)}
}

// quote shortens a server line for an error message.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "..."
	}
	return fmt.Sprintf("%q", s)
}
