package pop3

import (
	"fmt"
	"strings"

	"github.com/wirebook/wirebook/protocols"
)

// shape is how a positive response to a command is framed.
type shape int

const (
	singleLine shape = iota // "+OK ..." alone
	multiLine               // "+OK ..." then lines up to a lone "."
	payload                 // multiLine whose lines are a message (RETR, TOP)
)

// status is the first token of a response.
type status int

const (
	statusOK       status = iota // +OK
	statusErr                    // -ERR
	statusContinue               // "+ " SASL continuation (RFC 5034)
)

// commandVerb is the upper-cased first word of a client line; only the verb
// is ever used in messages, because the rest may be a password.
func commandVerb(line string) string {
	verb, _, _ := strings.Cut(strings.TrimLeft(line, " "), " ")
	return strings.ToUpper(verb)
}

// expectedShape tells how a +OK reply to line is framed. LIST and UIDL are
// multi-line only without an argument; AUTH without a mechanism lists the
// mechanisms as a block (Dovecot and others do so).
func expectedShape(line string) shape {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return singleLine
	}
	switch strings.ToUpper(fields[0]) {
	case "CAPA":
		return multiLine
	case "RETR", "TOP":
		return payload
	case "LIST", "UIDL", "AUTH":
		if len(fields) == 1 {
			return multiLine
		}
	}
	return singleLine
}

// parseStatus classifies the first line of a response.
func parseStatus(line string) (status, bool) {
	switch {
	case line == "+OK" || strings.HasPrefix(line, "+OK "):
		return statusOK, true
	case line == "-ERR" || strings.HasPrefix(line, "-ERR "):
		return statusErr, true
	case line == "+" || strings.HasPrefix(line, "+ "):
		return statusContinue, true
	}
	return 0, false
}

// readResponse reads one complete response to the command named verb. Every
// byte is recorded by the Wire; nothing is re-rendered.
func readResponse(w *protocols.Wire, verb string, sh shape) (status, error) {
	line, err := w.ReadLine()
	if err != nil {
		return 0, fmt.Errorf("pop3: reading the response to %s: %w", verb, err)
	}
	st, ok := parseStatus(line)
	if !ok {
		return 0, &protocols.ProtocolError{Proto: "pop3", Msg: fmt.Sprintf("response to %s starts with neither +OK, -ERR nor +: %q", verb, clip(line))}
	}
	if st == statusContinue && verb == "greeting" {
		return 0, &protocols.ProtocolError{Proto: "pop3", Msg: fmt.Sprintf("greeting is a continuation request: %q", clip(line))}
	}
	if st != statusOK || sh == singleLine {
		return st, nil
	}
	read := w.ReadLine
	if sh == payload {
		read = w.ReadPayloadLine
	}
	for {
		line, err := read()
		if err != nil {
			return st, fmt.Errorf("pop3: reading the multi-line response to %s: %w", verb, err)
		}
		// A lone dot ends the block; ".." and ".x" are dot-stuffed data
		// lines, kept as the wire carried them.
		if line == "." {
			return st, nil
		}
	}
}

// clip shortens a server line for an error message.
func clip(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
