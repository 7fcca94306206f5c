package smtp

import (
	"fmt"

	"github.com/wirebook/wirebook/protocols"
)

// lastInGroup are the commands that RFC 2920 §3.1 allows only as the last
// of a pipelined group: what follows depends on their outcome. STARTTLS
// (RFC 3207) too: anything after it would cross the wire in clear.
var lastInGroup = map[string]bool{
	"EHLO": true, "HELO": true, "DATA": true, "VRFY": true, "EXPN": true,
	"TURN": true, "QUIT": true, "NOOP": true, "STARTTLS": true,
}

// Lint warns about what runs but is almost surely not what the author
// meant: a message line starting with "." that is not dot-stuffed (the
// server drops that dot, RFC 5321 §4.5.2), and a command pipelined ("C+")
// after one that must end its group.
func (Protocol) Lint(lines []protocols.LintLine) []protocols.Finding {
	var out []protocols.Finding
	warn := func(line int, format string, args ...any) {
		out = append(out, protocols.Finding{Line: line, Warning: true, Msg: fmt.Sprintf(format, args...)})
	}
	inMessage, prev := false, ""
	for _, l := range lines {
		if l.Kind != protocols.Client {
			continue
		}
		if inMessage {
			switch {
			case l.Text == ".":
				inMessage = false
			case len(l.Text) > 1 && l.Text[0] == '.' && l.Text[1] != '.':
				warn(l.Source, "this message line starts with \".\", which the server removes (dot-stuffing, RFC 5321 §4.5.2): write \"..\" at the start to send a line that starts with one dot")
			}
			continue
		}
		verb := verbOf(l.Text)
		if l.Pipelined && lastInGroup[prev] {
			warn(l.Source, "%s is pipelined after %s, which must be the last command of a pipelined group (RFC 2920 §3.1): what follows depends on its reply; write it as C:", verb, prev)
		}
		prev = verb
		inMessage = verb == "DATA"
	}
	return out
}
