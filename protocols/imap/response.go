package imap

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

type responseKind int

const (
	untagged     responseKind = iota + 1 // "* ..."
	continuation                         // "+ ..."
	tagged                               // "TAG OK|NO|BAD ..."
)

// response is one complete server response: its first line and, for an
// untagged response, every literal and continuation line after it.
type response struct {
	kind   responseKind
	line   string // the first line
	tag    string // tagged only
	status string // upper case: OK, NO, BAD, PREAUTH, BYE, or the untagged keyword
}

// readResponse reads one complete response. A tagged reply completes the
// pending command carrying its tag. waiting+waitTag says what the client
// was waiting for, for the error when the connection ends (made only then).
func (c *client) readResponse(waiting, waitTag string) (response, error) {
	line, err := c.w.ReadLine()
	if err != nil {
		return response{}, c.readFailed(err, waiting+waitTag)
	}
	switch {
	case strings.HasPrefix(line, "* "):
		r := response{kind: untagged, line: line, status: strings.ToUpper(firstWord(line[2:]))}
		if r.status == "BYE" {
			c.bye = line
		}
		return r, c.readLiterals(line, waiting, waitTag)
	case line == "+" || strings.HasPrefix(line, "+ "):
		return response{kind: continuation, line: line}, nil
	}
	tag, rest, _ := strings.Cut(line, " ")
	status := strings.ToUpper(firstWord(rest))
	cmd := c.pending[tag]
	if cmd == nil {
		if isStatus(status) {
			return response{}, protoErr("tagged reply %s for tag %s, which no command in progress carries", quote(line), quote(tag))
		}
		return response{}, protoErr("unexpected line %s: neither untagged (*), a continuation (+) nor a tagged reply", quote(line))
	}
	if !isStatus(status) {
		return response{}, protoErr("the reply to %s is %s: a tagged reply must say OK, NO or BAD", tag, quote(line))
	}
	cmd.done, cmd.status = true, status
	delete(c.pending, tag)
	return response{kind: tagged, line: line, tag: tag, status: status}, nil
}

// readLiterals reads the literals announced at the end of an untagged line
// and the rest of the line after each, by byte count.
func (c *client) readLiterals(line, waiting, waitTag string) error {
	for {
		size, ok, err := serverLiteral(line)
		if err != nil || !ok {
			return err
		}
		data, err := c.w.ReadN(size, true)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("imap: connection closed by the server after %d of the %d bytes of a literal", len(data), size)
			}
			return fmt.Errorf("imap: reading a %d-byte literal: %w", size, err)
		}
		if line, err = c.w.ReadLine(); err != nil {
			return c.readFailed(err, "the rest of the line after a literal")
		}
	}
}

// serverLiteral finds a "{n}" at the end of a server line.
func serverLiteral(line string) (size int64, ok bool, err error) {
	if !strings.HasSuffix(line, "}") {
		return 0, false, nil
	}
	open := strings.LastIndexByte(line, '{')
	if open < 0 {
		return 0, false, nil
	}
	digits := line[open+1 : len(line)-1]
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false, nil // text that merely ends in a brace
	}
	size, ok = literalSize(digits)
	if !ok {
		return 0, false, protoErr("literal size {%s} is out of range", digits)
	}
	return size, true, nil
}

func (c *client) readFailed(err error, waiting string) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		if c.bye != "" {
			return fmt.Errorf("imap: %v while waiting for %s (it had said %s)", err, waiting, quote(c.bye))
		}
		return fmt.Errorf("imap: %v while waiting for %s", err, waiting)
	}
	return fmt.Errorf("imap: waiting for %s: %w", waiting, err)
}

func isStatus(s string) bool { return s == "OK" || s == "NO" || s == "BAD" }

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}
