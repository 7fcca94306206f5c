package highlight

import (
	"strings"

	"github.com/wirebook/wirebook/protocols"
)

// ANSI SGR sequences of executable blocks at a terminal.
const (
	ansiPrompt = "\x1b[1;36m" // bold cyan: the prompt a student does not type
	ansiStatus = "\x1b[1;31m" // a console command's non-zero exit status
)

// execPrompts are the prompts of a pycon or console block's statement
// lines (lab.StatementText strips the same ones).
var execPrompts = []string{">>>", "...", "$", ">"}

// ExecTerminalLine formats one line of an executable block (pycon,
// console, python run) as at the prompt, without C:/S: marks and without a
// line end. With color the prompt is bold cyan and the statement cyan, as a
// session's client lines; output stays plain but for a console command's
// exit status ("[1]"), in red. Control characters are escaped in both
// modes, as in TerminalLine.
func ExecTerminalLine(ev protocols.Event, color bool) string {
	text := Neutralise(ev.Text)
	if !color {
		return text
	}
	switch ev.Kind {
	case protocols.Client:
		for _, p := range execPrompts {
			if text == p {
				return ansiPrompt + p + ansiReset
			}
			if rest, ok := strings.CutPrefix(text, p+" "); ok {
				return ansiPrompt + p + " " + ansiReset + ansiCyan + rest + ansiReset
			}
		}
		return ansiCyan + text + ansiReset
	case protocols.Server:
		if isExitStatus(text) {
			return ansiStatus + text + ansiReset
		}
	}
	return text
}

// isExitStatus: "[N]", as a console block shows a non-zero status.
func isExitStatus(s string) bool {
	if len(s) < 3 || s[0] != '[' || s[len(s)-1] != ']' {
		return false
	}
	for _, c := range s[1 : len(s)-1] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
