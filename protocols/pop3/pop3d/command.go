package pop3d

import (
	"strconv"
	"strings"
)

// command is one parsed client line.
type command struct {
	Verb string   // upper-cased keyword
	Args []string // space-separated arguments
	Rest string   // everything after the keyword and one space, as sent (PASS)
}

// parseCommand splits a command line (without CRLF). RFC 1939 separates the
// keyword and arguments by single spaces; runs of spaces are tolerated.
func parseCommand(line string) command {
	verb, rest, _ := strings.Cut(line, " ")
	return command{Verb: strings.ToUpper(verb), Args: strings.Fields(rest), Rest: rest}
}

// parseNumber parses a message number or line count: decimal digits only,
// no sign, within int range.
func parseNumber(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// printable makes client text safe to echo in a reply: no control bytes
// (which could forge reply lines) and bounded length.
func printable(s string) string {
	const max = 40
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= max {
			b.WriteString("...")
			break
		}
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			b.WriteByte('?')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
