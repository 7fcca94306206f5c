package highlight

import (
	"regexp"
	"strings"

	"github.com/wirebook/wirebook/protocols"
)

// ANSI SGR sequences used for terminal transcripts.
const (
	ansiReset  = "\x1b[0m"
	ansiCyan   = "\x1b[36m"
	ansiGreen  = "\x1b[32m"
	ansiBlue   = "\x1b[34m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
	ansiNote   = "\x1b[2;33m"
)

// replyStart finds the outcome word at the start of a server line without
// knowing the protocol: an SMTP code, an HTTP status line, POP3 +OK/-ERR,
// an IMAP status (tagged or untagged) or continuation.
var replyStart = regexp.MustCompile(`^(?:(\d{3})(?:[ -]|$)|HTTP/\d(?:\.\d)? (\d{3})\b|(\+OK|-ERR)\b|(\+)(?: |$)|[^\s:]+ (OK|NO|BAD|PREAUTH)\b)`)

// TerminalLine formats one event as "C: text" ("C+ text" for a pipelined
// client line) for a terminal, without a
// line end. With color, client lines are cyan, notes dim yellow, error
// notes red, and a server reply's code is coloured by its class. Control
// characters in the text are shown as escapes (\x1b) in both modes, so a
// server cannot drive the terminal.
func TerminalLine(ev protocols.Event, color bool) string {
	text := Neutralise(ev.Text)
	prefix := ev.Prefix() + " "
	if !color {
		return prefix + text
	}
	switch ev.Kind {
	case protocols.Client:
		return ansiCyan + prefix + text + ansiReset
	case protocols.Note:
		if strings.HasPrefix(ev.Text, "error") {
			return ansiRed + prefix + text + ansiReset
		}
		return ansiNote + prefix + text + ansiReset
	case protocols.Server:
		if ev.Payload {
			return prefix + text
		}
		return prefix + colourReply(text)
	}
	return prefix + text
}

// colourReply colours the code or status word of a server line.
func colourReply(text string) string {
	m := replyStart.FindStringSubmatchIndex(text)
	if m == nil {
		return text
	}
	for g := 1; g*2 < len(m); g++ {
		s, e := m[2*g], m[2*g+1]
		if s < 0 {
			continue
		}
		c := replyColour(text[s:e])
		if c == "" {
			return text
		}
		return text[:s] + c + text[s:e] + ansiReset + text[e:]
	}
	return text
}

func replyColour(word string) string {
	switch word {
	case "+OK", "OK", "PREAUTH":
		return ansiGreen
	case "+":
		return ansiBlue
	case "NO":
		return ansiYellow
	case "-ERR", "BAD":
		return ansiRed
	}
	switch word[0] {
	case '1', '3':
		return ansiBlue
	case '2':
		return ansiGreen
	case '4':
		return ansiYellow
	case '5':
		return ansiRed
	}
	return ""
}

// PlainTerminal formats a whole transcript for a terminal, one
// TerminalLine per event, each ended by "\n".
func PlainTerminal(events []protocols.Event, color bool) string {
	var b strings.Builder
	for _, ev := range events {
		b.WriteString(TerminalLine(ev, color))
		b.WriteByte('\n')
	}
	return b.String()
}
