package imap

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/wirebook/wirebook/protocols"
)

// Lint checks a block before it runs: every literal's count against the
// lines that follow it (an error), and commands pipelined after a command
// whose result they depend on (a warning, RFC 3501 §5.5).
//
// A literal "{N}" (or "{N+}") is counted as the client sends it: the lines
// after the one that announces it, each line end counting 2 bytes (CRLF),
// up to the end of the literal's last line, whose own line end is not part
// of the literal but ends the command. The literal may instead end inside
// a line when the command goes on after it ("a1 LOGIN {5}" then
// "alice {8}": the rest of the line must start with a space or ")"), or
// take the line end with it when an empty C: line ends the command.
func (Protocol) Lint(lines []protocols.LintLine) []protocols.Finding {
	client := make([]protocols.LintLine, 0, len(lines))
	for _, l := range lines {
		if l.Kind == protocols.Client {
			client = append(client, l)
		}
	}
	cmds, findings := commandsOf(client)
	return append(findings, pipelineWarnings(cmds)...)
}

// lintCommand is one command line of a block, for the pipelining rules.
type lintCommand struct {
	tag, name, args string // name upper case, "UID FETCH" for UID commands
	line            int
	group           int // commands of one pipelined group share it
}

// commandsOf walks the client lines as the client sends them, literals
// included, and returns the command lines and the literal counts that are
// wrong. It stops where a line's bytes are only known when the block runs.
func commandsOf(client []protocols.LintLine) (cmds []lintCommand, findings []protocols.Finding) {
	group := 0
	cmds = make([]lintCommand, 0, len(client))
	var last lintCommand  // the last command line, for what may follow it
	afterLiteral := 0     // line of the literal that ended on the line before, 0 if none
	afterFinding := false // the line before ended a literal already reported
	for i := 0; i < len(client); {
		l := client[i]
		i++
		if !l.Pipelined {
			group++
		}
		if c, ok := parseLintCommand(l.Text, l.Source, group); ok {
			cmds = append(cmds, c)
			last = c
		} else if f := notACommand(l, last, afterLiteral); f != nil && !afterFinding {
			findings = append(findings, *f)
		}
		afterLiteral, afterFinding = 0, false
		text, line := l.Text, l.Source
		for {
			lit, ok := clientLiteral(text)
			if !ok {
				break
			}
			next, tail, f, known := checkLiteral(client, i, lit, line)
			if !known {
				return cmds, findings
			}
			if f != nil {
				findings = append(findings, *f)
				afterFinding = true
			}
			i, text = next, tail
			if f == nil && tail == "" {
				afterLiteral = line
			}
			if i > 0 {
				line = client[i-1].Source
			}
		}
	}
	return cmds, findings
}

// checkLiteral follows a literal of lit.size bytes announced at line over
// the client lines from index start. It returns the index of the first line
// after the literal's last one and the command text that follows the
// literal there; when the count is wrong, a finding naming the right one,
// and the walk goes on as if that were written. known is false when a line
// the literal covers is only known at run time.
func checkLiteral(client []protocols.LintLine, start int, lit literal, line int) (next int, tail string, f *protocols.Finding, known bool) {
	remaining := lit.size
	for i := start; i < len(client); i++ {
		p := client[i]
		if p.Unknown {
			return 0, "", nil, false
		}
		n := int64(len(p.Text))
		switch {
		case remaining == n, remaining < n && continuesCommand(p.Text[remaining:]):
			return i + 1, p.Text[remaining:], nil, true
		case remaining < n:
			why := fmt.Sprintf("it ends %d bytes before the end of line %d, whose last %d bytes would be sent as more of the command", n-remaining, p.Source, n-remaining)
			if remaining == 0 {
				why = fmt.Sprintf("it takes in the line end of line %d, so line %d would be sent as more of the command", client[i-1].Source, p.Source)
			}
			return literalFinding(client, start, lit, line, why)
		case remaining == n+1:
			return literalFinding(client, start, lit, line, fmt.Sprintf("it would end between the CR and the LF of line %d", p.Source))
		}
		remaining -= n + 2
	}
	if start == len(client) {
		return start, "", &protocols.Finding{Line: line, Msg: fmt.Sprintf("literal %s: no C: lines follow to send as its %d bytes", litText(lit.size, lit.sync), lit.size)}, true
	}
	return literalFinding(client, start, lit, line, fmt.Sprintf("it is %d bytes longer than all the C: lines after it", remaining+2))
}

// notACommand reports a client line that stands where the client sends a
// new command but is not one ("tag command ..."): the line after a
// literal whose count is too small, or a line the author meant as
// something else. The answers of an AUTHENTICATE exchange and IDLE's DONE
// are not commands and are left to the client's own rules; so is a line
// known only when the block runs.
func notACommand(l protocols.LintLine, last lintCommand, afterLiteral int) *protocols.Finding {
	if l.Unknown || last.name == "AUTHENTICATE" || (last.name == "IDLE" && strings.EqualFold(l.Text, "DONE")) {
		return nil
	}
	what := fmt.Sprintf("%q is not an IMAP command (a tag, a space and a command name)", l.Text)
	if l.Text == "" {
		what = "an empty C: line stands where the client sends its next command"
	}
	if afterLiteral > 0 {
		what += fmt.Sprintf("; if it belongs to the literal of line %d, that literal's count is too small", afterLiteral)
	}
	return &protocols.Finding{Line: l.Source, Msg: what}
}

// continuesCommand reports whether text after a literal that ends inside a
// line reads as the rest of a command: another argument or a list's end.
func continuesCommand(rest string) bool {
	return rest == "" || rest[0] == ' ' || rest[0] == ')'
}

// literalFinding reports a wrong count with the nearest count that would
// be right: one that ends the literal at a line end, or inside a line
// before text that reads as more of the command (a line end when two are
// as near). The walk goes on after the suggested end.
func literalFinding(client []protocols.LintLine, start int, lit literal, line int, why string) (int, string, *protocols.Finding, bool) {
	type candidate struct {
		size    int64
		end     int    // index of the line the literal would end in
		tail    string // command text after it there
		lineEnd bool
	}
	better := func(a, b candidate) bool {
		da, db := abs(a.size-lit.size), abs(b.size-lit.size)
		return da < db || (da == db && a.lineEnd && !b.lineEnd)
	}
	var best *candidate
	var before int64 // bytes of the literal's lines before line i
	for i := start; i < len(client) && !client[i].Unknown; i++ {
		text := client[i].Text
		for k := 0; k <= len(text); k++ {
			if k < len(text) && text[k] != ' ' && text[k] != ')' {
				continue
			}
			c := candidate{size: before + int64(k), end: i, tail: text[k:], lineEnd: k == len(text)}
			if best == nil || better(c, *best) {
				best = &c
			}
		}
		before += int64(len(text)) + 2
	}
	if best == nil {
		return start, "", &protocols.Finding{Line: line, Msg: fmt.Sprintf("literal %s does not match the lines after it: %s", litText(lit.size, lit.sync), why)}, true
	}
	span := fmt.Sprintf("Line %d", client[start].Source)
	verb := "holds"
	if best.end > start {
		span, verb = fmt.Sprintf("Lines %d-%d", client[start].Source, client[best.end].Source), "hold"
	}
	if !best.lineEnd {
		span += fmt.Sprintf(", up to the text that goes on with the command on line %d,", client[best.end].Source)
	}
	msg := fmt.Sprintf("literal %s does not match the lines after it: %s. %s %s %d bytes (each line end inside counts 2, for CRLF; the line end after the literal is not part of it): write %s",
		litText(lit.size, lit.sync), why, span, verb, best.size, litText(best.size, lit.sync))
	return best.end + 1, best.tail, &protocols.Finding{Line: line, Msg: msg}, true
}

func litText(n int64, sync bool) string {
	if sync {
		return fmt.Sprintf("{%d}", n)
	}
	return fmt.Sprintf("{%d+}", n)
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func parseLintCommand(text string, line, group int) (lintCommand, bool) {
	f := strings.Fields(text)
	if len(f) < 2 || !validTag(f[0]) {
		return lintCommand{}, false
	}
	c := lintCommand{tag: f[0], name: strings.ToUpper(f[1]), line: line, group: group}
	rest := f[2:]
	if c.name == "UID" && len(rest) > 0 {
		c.name += " " + strings.ToUpper(rest[0])
		rest = rest[1:]
	}
	c.args = strings.Join(rest, " ")
	return c, true
}

// seqSet is an argument that is a sequence set.
var seqSet = regexp.MustCompile(`^[0-9*:,]+$`)

// usesStar reports whether a command names the last message, "*".
func (c lintCommand) usesStar() bool {
	for _, a := range strings.Fields(c.args) {
		if seqSet.MatchString(a) && strings.Contains(a, "*") {
			return true
		}
	}
	return false
}

// seqNumbers is a command that names messages by sequence number, which
// an untagged EXPUNGE renumbers.
func (c lintCommand) seqNumbers() bool {
	switch c.name {
	case "FETCH", "STORE", "COPY", "MOVE", "SEARCH":
		return true
	}
	return false
}

// noExpunge are the commands during which a server may not send an
// untagged EXPUNGE (RFC 3501 §7.4.1), or that run before any mailbox is
// selected.
var noExpunge = map[string]bool{
	"FETCH": true, "STORE": true, "SEARCH": true,
	"CAPABILITY": true, "LOGIN": true, "AUTHENTICATE": true, "STARTTLS": true,
	"SELECT": true, "EXAMINE": true, "ENABLE": true, "ID": true, "LOGOUT": true,
}

// addsMessages are the commands that may add a message to the selected
// mailbox, and so change what "*" means.
var addsMessages = map[string]bool{"APPEND": true, "COPY": true, "MOVE": true, "UID COPY": true, "UID MOVE": true}

// pipelineWarnings finds commands pipelined ("C+") after a command of the
// same group whose outcome they depend on: RFC 3501 §5.5 says a client
// must not send them without waiting.
func pipelineWarnings(cmds []lintCommand) []protocols.Finding {
	var out []protocols.Finding
	for j, c := range cmds {
		for i := j - 1; i >= 0 && cmds[i].group == c.group; i-- {
			if msg := dependsOn(c, cmds[i]); msg != "" {
				out = append(out, protocols.Finding{Line: c.line, Warning: true, Msg: fmt.Sprintf(
					"%s %s is pipelined after %s %s (line %d), %s (RFC 3501 §5.5): write it as C: to send it once %s has its reply",
					c.tag, c.name, cmds[i].tag, cmds[i].name, cmds[i].line, msg, cmds[i].tag)})
				break
			}
		}
	}
	return out
}

func dependsOn(c, before lintCommand) string {
	switch {
	case addsMessages[before.name] && c.usesStar():
		return "and which message \"*\" is depends on whether that has added its message yet"
	case flagsOf(before) && flagsOf(c) && (before.name == "STORE" || before.name == "UID STORE" || c.name == "STORE" || c.name == "UID STORE"):
		return "and the flags it sees depend on whether that STORE has been done"
	case c.seqNumbers() && !noExpunge[before.name]:
		return "which may send an untagged EXPUNGE that renumbers the messages it names"
	}
	return ""
}

// flagsOf reports a STORE, or a FETCH of FLAGS.
func flagsOf(c lintCommand) bool {
	switch c.name {
	case "STORE", "UID STORE":
		return true
	case "FETCH", "UID FETCH":
		return strings.Contains(strings.ToUpper(c.args), "FLAGS")
	}
	return false
}
