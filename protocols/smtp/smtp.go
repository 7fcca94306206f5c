// Package smtp holds the client side of SMTP (RFC 5321) for wirebook
// session blocks: it sends a lab's C: lines and reads each complete reply,
// following the dialogue rules of DATA, AUTH continuations, STARTTLS,
// PIPELINING (RFC 2920) and QUIT.
package smtp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wirebook/wirebook/protocols"
)

// Protocol is SMTP on port 25, and SMTP over implicit TLS ("smtps") on 465.
// Submission on 587 is the same dialogue on another port.
type Protocol struct{}

// Info names the protocol and its ports.
func (Protocol) Info() protocols.Info {
	return protocols.Info{Name: "smtp", Port: 25, TLSName: "smtps", TLSPort: 465}
}

// Run reads the greeting, then sends each group of script lines in one
// write and reads one reply per command, in order.
func (Protocol) Run(ctx context.Context, s *protocols.Session) error {
	d := &dialogue{w: s.Wire, script: s.Script}
	if _, _, err := ReadReply(d.w); err != nil {
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	for d.script.More() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("smtp: %w", err)
		}
		group := d.script.NextGroup()
		for _, l := range group[:len(group)-1] {
			if verbOf(l.Text) == "STARTTLS" {
				// RFC 3207: nothing may follow STARTTLS in a pipeline, since
				// it would cross the wire in clear. Checked before sending.
				return fmt.Errorf("smtp: line %d: nothing may be pipelined after STARTTLS: it would be sent in clear", l.Source)
			}
		}
		if err := d.w.Send(group...); err != nil {
			return fmt.Errorf("smtp: %w", err)
		}
		d.inFlight = group
		for len(d.inFlight) > 0 {
			if err := d.step(); err != nil {
				return err
			}
		}
	}
	return nil
}

// dialogue is one run's state: inFlight holds the lines already sent whose
// part in the dialogue (a command awaiting its reply, an AUTH continuation,
// a message line) is not yet played out.
type dialogue struct {
	w        *protocols.Wire
	script   *protocols.Script
	inFlight []protocols.ClientLine
}

// step reads the reply to the next command in flight and follows up on it.
func (d *dialogue) step() error {
	cmd := d.inFlight[0]
	d.inFlight = d.inFlight[1:]
	verb := verbOf(cmd.Text)
	code, _, err := ReadReply(d.w)
	if err != nil {
		return fmt.Errorf("smtp: reply to %s: %w", verb, err)
	}
	switch verb {
	case "DATA":
		if code == 354 {
			return d.message()
		}
	case "AUTH":
		for code == 334 {
			if err := d.continuation(); err != nil {
				return err
			}
			if code, _, err = ReadReply(d.w); err != nil {
				return fmt.Errorf("smtp: reply to AUTH continuation: %w", err)
			}
		}
	case "STARTTLS":
		if code != 220 {
			return d.w.RefuseTLS("smtp", "STARTTLS")
		}
		return d.w.StartTLS()
	case "QUIT":
		d.w.ExpectClose()
	}
	return nil
}

// continuation sends the next script line as the answer to a 334 challenge;
// a line already sent in the same pipelined group is that answer.
func (d *dialogue) continuation() error {
	if len(d.inFlight) > 0 {
		d.inFlight = d.inFlight[1:]
		return nil
	}
	line, ok := d.script.Next()
	if !ok {
		return errors.New("smtp: script ends while the server waits for an AUTH continuation (334)")
	}
	if err := d.w.Send(line); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	return nil
}

// message sends the script lines after a 354 go-ahead, up to and including
// the lone ".", in one write, and reads the reply to the whole message.
// Lines that were pipelined after DATA have already been sent.
func (d *dialogue) message() error {
	for len(d.inFlight) > 0 {
		line := d.inFlight[0]
		d.inFlight = d.inFlight[1:]
		if line.Text == "." {
			return d.messageReply()
		}
	}
	var body []protocols.ClientLine
	ended := false
	for !ended {
		line, ok := d.script.Next()
		if !ok {
			break
		}
		body = append(body, line)
		ended = line.Text == "."
	}
	if len(body) > 0 {
		if err := d.w.Send(body...); err != nil {
			return fmt.Errorf("smtp: %w", err)
		}
	}
	if !ended {
		return errors.New(`smtp: script ends inside the DATA message: no line with a lone "."`)
	}
	return d.messageReply()
}

func (d *dialogue) messageReply() error {
	if _, _, err := ReadReply(d.w); err != nil {
		return fmt.Errorf("smtp: reply to the message: %w", err)
	}
	return nil
}

// verbOf is the command word of a line, upper-cased; only the verb goes
// into error messages, since the rest may carry credentials.
func verbOf(line string) string {
	verb, _, _ := strings.Cut(strings.TrimSpace(line), " ")
	return strings.ToUpper(verb)
}
