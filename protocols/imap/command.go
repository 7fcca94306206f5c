package imap

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wirebook/wirebook/protocols"
)

// command is one tagged command the client sent.
type command struct {
	tag    string
	name   string // upper case; "UID FETCH" is "UID"
	status string // OK, NO or BAD once done
	done   bool
}

// exclusive reports whether the command changes how the next lines are read
// (a TLS handshake, SASL exchange, IDLE's DONE), so it must run alone.
func (c *command) exclusive() bool {
	switch c.name {
	case "STARTTLS", "AUTHENTICATE", "IDLE":
		return true
	}
	return false
}

// parseCommand reads the tag and command name of a script line.
func parseCommand(l protocols.ClientLine) (*command, error) {
	tag, rest, _ := strings.Cut(l.Text, " ")
	if !validTag(tag) {
		return nil, fmt.Errorf("imap: line %d: %q does not start with a tag (letters, digits, '.' and the like)", l.Source, l.Display)
	}
	name, _, _ := strings.Cut(rest, " ")
	if name == "" {
		return nil, fmt.Errorf("imap: line %d: tag %s has no command after it", l.Source, tag)
	}
	return &command{tag: tag, name: strings.ToUpper(name)}, nil
}

// validTag follows RFC 3501's tag: ASTRING-CHARs except '+'.
func validTag(tag string) bool {
	if tag == "" {
		return false
	}
	for i := 0; i < len(tag); i++ {
		b := tag[i]
		if b <= ' ' || b >= 0x7f || strings.IndexByte(`(){%*"\+]`, b) >= 0 {
			return false
		}
	}
	return true
}

// literal is a "{n}" or "{n+}" at the end of a line.
type literal struct {
	size int64
	sync bool // "{n}": wait for a continuation before sending the bytes
}

// clientLiteral finds a literal announced at the end of client text.
func clientLiteral(text string) (literal, bool) {
	if !strings.HasSuffix(text, "}") {
		return literal{}, false
	}
	open := strings.LastIndexByte(text, '{')
	if open < 0 {
		return literal{}, false
	}
	inner := text[open+1 : len(text)-1]
	sync := true
	if strings.HasSuffix(inner, "+") {
		inner, sync = inner[:len(inner)-1], false
	}
	n, ok := literalSize(inner)
	return literal{size: n, sync: sync}, ok
}

// literalSize parses the digits of a literal's size; sizes of more than 18
// digits cannot be meant and are refused rather than overflowing.
func literalSize(digits string) (int64, bool) {
	if digits == "" || len(digits) > 18 {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil
}
