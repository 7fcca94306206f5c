package lab

import "strings"

// Executable blocks: code the lab runs rather than a session it sends.
const (
	ExecPycon   = "pycon"   // >>> and ... lines at the Python prompt, output beneath
	ExecConsole = "console" // $ and > lines run with bash, output beneath
	ExecPython  = "python"  // a "python run" script; its output is the next block
)

// ExecAttrs are the attributes an executable block may carry.
var ExecAttrs = map[string]string{
	"timeout": "longest the block may run, a Go duration such as 20s",
	"expect":  "how the block is meant to end: ok (default) or error (a statement raises, a command fails)",
	"id":      "a name for the block, used in reports",
}

// execKind says whether an info string opens an executable block: pycon
// and console always, python only when marked "run".
func execKind(fields []string) string {
	switch strings.ToLower(fields[0]) {
	case ExecPycon, ExecConsole:
		return strings.ToLower(fields[0])
	case ExecPython:
		for _, f := range fields[1:] {
			if f == "run" {
				return ExecPython
			}
		}
	}
	return ""
}

// execLines classifies the body of an executable block: prompt lines are
// Client lines (their text keeps the prompt), everything else is expected
// output (Server lines, blank ones included, except at the end).
func execLines(kind string, raw []string) []LineKind {
	start, cont := ">>>", "..."
	if kind == ExecConsole {
		start, cont = "$", ">"
	}
	is := func(s, prompt string) bool { return s == prompt || strings.HasPrefix(s, prompt+" ") }
	kinds := make([]LineKind, len(raw))
	prev := Blank
	for i, s := range raw {
		switch {
		case kind == ExecPython:
			kinds[i] = Server
		case is(s, start):
			kinds[i] = Client
		case prev == Client && is(s, cont):
			// A continuation follows a statement line; "..." after output
			// is the wildcard for any lines.
			kinds[i] = Client
		default:
			kinds[i] = Server
		}
		prev = kinds[i]
	}
	for i := len(raw) - 1; i >= 0 && strings.TrimSpace(raw[i]) == "" && kinds[i] == Server; i-- {
		kinds[i] = Blank
	}
	return kinds
}

// StatementText is a statement line without its prompt.
func StatementText(kind, line string) string {
	for _, p := range []string{">>> ", "... ", "$ ", "> "} {
		if kind == ExecConsole && (p == ">>> " || p == "... ") || kind == ExecPycon && (p == "$ " || p == "> ") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, p); ok {
			return rest
		}
		if line == strings.TrimSpace(p) {
			return ""
		}
	}
	return line
}
