package protocols

import (
	"errors"
	"fmt"

	"github.com/wirebook/wirebook/internal/printable"
)

// TLSRefusedError is a session stopped because the server did not start the
// TLS the block asked for (STARTTLS answered 454/502, IMAP NO, POP3 -ERR):
// the lines after it may carry credentials, and would cross the wire in
// clear. This is the STARTTLS-stripping attack curl's --ssl-reqd exists for.
type TLSRefusedError struct {
	Proto   string // "smtp", "pop3", "imap"
	Command string // "STARTTLS" or "STLS"
	Reply   string // the server's refusal, neutralised for display
}

func (e *TLSRefusedError) Error() string {
	return fmt.Sprintf("%s: %s refused (%s): stopping before any credentials go out in clear", e.Proto, e.Command, e.Reply)
}

// ErrTLSRefused matches every *TLSRefusedError with errors.Is.
var ErrTLSRefused = errors.New("TLS refused")

// Is lets errors.Is(err, ErrTLSRefused) find a refusal in a chain.
func (e *TLSRefusedError) Is(target error) bool { return target == ErrTLSRefused }

// RefuseTLS records that the server refused to start TLS and locks the
// Wire: every later Send or Write fails without writing a byte, so no
// protocol can go on in clear by mistake. The refusal is the last line the
// server sent. It returns the error the protocol's Run should return.
func (w *Wire) RefuseTLS(proto, command string) error {
	w.mu.Lock()
	reply := w.last
	w.mu.Unlock()
	err := &TLSRefusedError{Proto: proto, Command: command, Reply: Clip(reply, 80)}
	w.mu.Lock()
	w.locked = err
	w.mu.Unlock()
	return err
}

// Clip makes a server string fit for an error message or note: control
// characters and invalid UTF-8 become visible escapes, and it is cut to at
// most max bytes of the original.
func Clip(s string, max int) string {
	cut := len(s) > max
	if cut {
		s = s[:max]
	}
	s = printable.String(s)
	if cut {
		s += "..."
	}
	return s
}
