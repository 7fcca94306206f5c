// Package pop3 is the client side of POP3 (RFC 1939) with the extensions a
// lab shows: CAPA (RFC 2449), STLS (RFC 2595) and AUTH (RFC 5034).
//
// POP3 has no tags: a client knows how a response ends only from the command
// it sent. So Run decides, per command, whether the reply is one line or a
// dot-terminated block, and reads exactly that much.
package pop3

import (
	"context"
	"fmt"

	"github.com/wirebook/wirebook/protocols"
)

// Protocol is the POP3 client. Its zero value is ready to use.
type Protocol struct{}

// Info names POP3 and its implicit-TLS variant POP3S.
func (Protocol) Info() protocols.Info {
	return protocols.Info{Name: "pop3", Port: 110, TLSName: "pop3s", TLSPort: 995}
}

// Run reads the greeting, then sends the script group by group, reading one
// complete response per command in the order the commands were sent.
func (Protocol) Run(ctx context.Context, s *protocols.Session) error {
	w := s.Wire
	if _, err := readResponse(w, "greeting", singleLine); err != nil {
		return err
	}
	for s.Script.More() {
		if err := ctx.Err(); err != nil {
			return err
		}
		group := s.Script.NextGroup()
		for _, l := range group[:len(group)-1] {
			if commandVerb(l.Text) == "STLS" {
				// Checked before sending: a line after STLS would cross
				// the wire in clear.
				return fmt.Errorf("pop3: line %d: STLS must be the last command of a pipelined group", l.Source)
			}
		}
		if err := w.Send(group...); err != nil {
			return fmt.Errorf("pop3: %w", err)
		}
		for i := 0; i < len(group); i++ {
			cmd := group[i]
			verb := commandVerb(cmd.Text)
			st, err := readResponse(w, verb, expectedShape(cmd.Text))
			if err != nil {
				return err
			}
			// A SASL exchange: each "+ " asks for one more client line. If
			// the author pipelined it, it is already on the wire.
			for st == statusContinue {
				if i+1 < len(group) {
					i++
				} else {
					next, ok := s.Script.Next()
					if !ok {
						return fmt.Errorf("pop3: server waits for an %s continuation line, but the script has no more lines", verb)
					}
					if err := w.Send(next); err != nil {
						return fmt.Errorf("pop3: %w", err)
					}
				}
				if st, err = readResponse(w, verb, singleLine); err != nil {
					return err
				}
			}
			if st != statusOK {
				if verb == "STLS" {
					return w.RefuseTLS("pop3", "STLS")
				}
				continue
			}
			switch verb {
			case "STLS":
				if err := w.StartTLS(); err != nil {
					return fmt.Errorf("pop3: %w", err)
				}
			case "QUIT":
				if i+1 == len(group) && !s.Script.More() {
					w.ExpectClose()
				}
			}
		}
	}
	return nil
}
