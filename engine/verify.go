package engine

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/wirebook/wirebook/engine/check"
	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/internal/printable"
	"github.com/wirebook/wirebook/protocols"
)

// verifier compares a lab's sessions with their written transcripts, in
// order, carrying captured values from block to block.
type verifier struct {
	lab       *lab.Lab
	masks     []string // the environment's optional masks
	captured  map[string]string
	onCapture func(name, value string)
	byProto   map[string][]check.Mask // the masks of each block protocol, made once a lab
}

// masksFor is check.MasksFor for a block of the lab, with the lab's and
// the environment's optional masks.
func (v *verifier) masksFor(proto string) []check.Mask {
	if m, ok := v.byProto[proto]; ok {
		return m
	}
	m := check.MasksFor(proto, append(append([]string(nil), v.lab.Front.Masks...), v.masks...))
	if v.byProto == nil {
		v.byProto = map[string][]check.Mask{}
	}
	v.byProto[proto] = m
	return m
}

func (r *labRun) verify(s *SessionResult) {
	if r.verifier == nil {
		r.verifier = &verifier{lab: r.lab, masks: r.e.opts.Masks, captured: map[string]string{}, onCapture: func(k, v string) { r.scope.Set(k, v, false) }}
	}
	r.verifier.verify(s)
}

// verify sets s.Status, s.Comparison and s.Reason.
func (v *verifier) verify(s *SessionResult) {
	v.judge(s)
	// Reasons and outcomes quote what the server sent: they are shown on
	// pages, terminals and reports, so they are made safe here, once.
	s.Reason, s.Outcome = printable.String(s.Reason), printable.String(s.Outcome)
}

func (v *verifier) judge(s *SessionResult) {
	b := s.Block
	masks := v.masksFor(b.Proto)
	if len(s.Events) > 0 {
		c, err := check.CompareStopped(b, s.Events, masks, v.captured, unsentFrom(s))
		if err != nil {
			var le *lab.Error
			if errors.As(err, &le) {
				le.File = v.lab.Path
			}
			s.Status, s.Reason = StatusFailed, err.Error()
			return
		}
		s.Comparison = c
		for k, val := range c.Captures {
			v.captured[k] = val
			if v.onCapture != nil {
				v.onCapture(k, val)
			}
		}
	}
	expect := b.Attrs["expect"]
	outcome, ok, why := expectationMet(expect, s)
	if !ok {
		s.Status, s.Reason = StatusFailed, why
		return
	}
	switch c := s.Comparison; {
	case c == nil || !c.Written:
		// Even a met expect= is not a verification: nothing written was
		// compared.
		s.Status, s.Outcome = StatusCaptured, outcome
	case c.Match && outcome != "":
		s.Status, s.Outcome = StatusExpected, outcome
	case c.Match:
		s.Status = StatusVerified
	default:
		s.Status = StatusMismatch
		if d := c.Differences(); len(d) > 0 {
			s.Reason = d[0]
			if len(d) > 1 {
				s.Reason += fmt.Sprintf(" (and %d more)", len(d)-1)
			}
		}
	}
}

// unsentFrom is the first client line of a session stopped by a TLS
// refusal that was not sent (0 when none, or when the session did not stop
// that way).
func unsentFrom(s *SessionResult) int {
	if !s.TLSRefused {
		return 0
	}
	last := 0
	for _, ev := range s.Events {
		if ev.Kind == protocols.Client && ev.Source > last {
			last = ev.Source
		}
	}
	for _, ln := range s.Block.Lines {
		if (ln.Kind == lab.Client || ln.Kind == lab.Pipelined) && ln.Num > last {
			return ln.Num
		}
	}
	return 0
}

// execExpectationMet: a block of code is meant to run without a
// traceback or a failing command (expect=ok) or with one (expect=error);
// a deadline or output limit is never what a lab means.
func execExpectationMet(expect string, s *SessionResult) (outcome string, ok bool, why string) {
	if s.Err != nil {
		return "", false, reasonOf(s.Err, s.Block.Line)
	}
	switch expect {
	case "", "ok":
		// A command's non-zero status is output ("[1]", compared as cram
		// does); a traceback means the lab's Python broke.
		if s.Raised && s.Block.Exec != lab.ExecConsole {
			return "", false, fmt.Sprintf("line %d: the Python code raised an exception (expect=error if the lab means it)", s.RaisedAt)
		}
		return "", true, ""
	case "error":
		if !s.Raised {
			return "", false, "expected a statement to raise or a command to fail (expect=error), but all ran cleanly"
		}
		return fmt.Sprintf("line %d: raised, as the lab expects", s.RaisedAt), true, ""
	}
	return "", false, fmt.Sprintf("expect=%q: executable blocks take expect=ok or expect=error", expect)
}

var replyCode = regexp.MustCompile(`^(?:HTTP/\d(?:\.\d)? )?(\d{3})\b`)

// expectationMet checks the block's expect= attribute against what
// happened: "ok" (default), "error", "refused", a reply class ("5xx"), a
// reply code ("550"), or a POP3/IMAP verdict ("-ERR", "NO", "BAD"). For an
// expected failure that happened, outcome says what happened, for the page
// and reports; why says what did not happen otherwise.
func expectationMet(expect string, s *SessionResult) (outcome string, ok bool, why string) {
	const asExpected = ", as the lab expects"
	if s.Block != nil && s.Block.Exec != "" {
		return execExpectationMet(expect, s)
	}
	switch expect {
	case "", "ok":
		if s.Err != nil {
			return "", false, reasonOf(s.Err, s.Block.Line)
		}
		return "", true, ""
	case "error":
		if s.Err == nil {
			return "", false, "expected the session to end in an error, but it ran to the end"
		}
		return "ended in an error (" + reasonOf(s.Err, s.Block.Line) + ")" + asExpected, true, ""
	case "refused":
		var op *net.OpError
		if s.Err != nil && (errors.As(s.Err, &op) || strings.Contains(s.Err.Error(), "connect:")) {
			return "connection refused" + asExpected, true, ""
		}
		return "", false, "expected the connection to be refused"
	}
	events := s.Events
	if s.TLSRefused {
		// The refusal is the point of the block only if expect= names
		// the refusal itself: the last thing the server said.
		events = lastServerEvent(events)
	} else if s.Err != nil {
		return "", false, reasonOf(s.Err, s.Block.Line)
	}
	for _, ev := range events {
		if ev.Kind != protocols.Server {
			continue
		}
		if m := replyCode.FindStringSubmatch(ev.Text); m != nil {
			code := m[1]
			if code == expect || (len(expect) == 3 && strings.HasSuffix(expect, "xx") && code[0] == expect[0]) {
				verb := "answered "
				if code[0] == '4' || code[0] == '5' {
					verb = "refused with "
				}
				return verb + code + asExpected, true, ""
			}
		}
		switch expect {
		case "-ERR":
			if strings.HasPrefix(ev.Text, "-ERR") {
				return "refused with -ERR" + asExpected, true, ""
			}
		case "NO", "BAD":
			if f := strings.Fields(ev.Text); len(f) > 1 && f[0] != "*" && f[1] == expect {
				return "refused with " + expect + asExpected, true, ""
			}
		}
	}
	if s.TLSRefused {
		return "", false, reasonOf(s.Err, s.Block.Line)
	}
	return "", false, fmt.Sprintf("expected a %s reply, but the server sent none", expect)
}

func lastServerEvent(events []protocols.Event) []protocols.Event {
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Kind == protocols.Server {
			return events[i : i+1]
		}
	}
	return nil
}

// reasonOf is an error's message without the file:line of its block, which
// the reports print once in front of it; another line of the block stays
// named.
func reasonOf(err error, blockLine int) string {
	var le *lab.Error
	if errors.As(err, &le) && le.Msg != "" {
		if le.Line > 0 && le.Line != blockLine {
			return fmt.Sprintf("line %d: %s", le.Line, le.Msg)
		}
		return le.Msg
	}
	return err.Error()
}
