package render

import (
	"fmt"
	"html/template"
	"strings"
)

// statusIcons and statusWords make a session's one-line status: an icon
// and a word per status of the engine's model (engine/status.go). The icon
// is not the only carrier: the word says the same.
var statusIcons = map[string]string{
	StatusVerified: "✓", StatusExpected: "✓", StatusCaptured: "●",
	StatusMismatch: "≠", StatusFailed: "✗", StatusOffline: "○",
}

// statusWord is the status in a word or two: "verified", "expected 550",
// "captured", "differs", "failed", "offline".
func statusWord(s *SessionView) string {
	switch s.Status {
	case StatusVerified:
		return "verified"
	case StatusExpected:
		return "expected " + expectedWhat(s.Outcome)
	case StatusCaptured:
		return "captured"
	case StatusMismatch:
		return "differs"
	case StatusFailed:
		return "failed"
	case StatusOffline:
		return "offline"
	}
	return s.Status
}

// expectedWhat picks the reply or event out of an outcome such as
// "refused with 550, as the lab expects".
func expectedWhat(outcome string) string {
	switch {
	case strings.HasPrefix(outcome, "refused with "), strings.HasPrefix(outcome, "answered "):
		_, rest, _ := strings.Cut(outcome, " with ")
		if strings.HasPrefix(outcome, "answered ") {
			rest = strings.TrimPrefix(outcome, "answered ")
		}
		if f := strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == ',' }); len(f) > 0 {
			return f[0]
		}
	case strings.HasPrefix(outcome, "connection refused"):
		return "refusal"
	case strings.HasPrefix(outcome, "ended in an error"):
		return "error"
	}
	return "failure"
}

// statusLine is the session's caption: icon, status word and server on one
// line; the whole sentence (badgeText) is its tooltip, is read by screen
// readers and is printed.
func statusLine(s *SessionView) string {
	server := s.Server
	if s.Embedded || server == "" {
		server = "lab server"
	}
	full := badgeText(s)
	var b strings.Builder
	fmt.Fprintf(&b, `<figcaption class="wb-badge wb-badge-%s" title="%s">`, s.Status, template.HTMLEscapeString(full))
	fmt.Fprintf(&b, `<span class="wb-badge-icon" aria-hidden="true">%s</span> <span class="wb-badge-word">%s</span> <span class="wb-badge-server">%s</span>`,
		statusIcons[s.Status], template.HTMLEscapeString(statusWord(s)), template.HTMLEscapeString(server))
	if s.Insecure {
		b.WriteString(` <span class="wb-badge-warn">TLS not verified</span>`)
	}
	fmt.Fprintf(&b, `<span class="wb-badge-detail">: %s</span></figcaption>`, template.HTMLEscapeString(full))
	return b.String()
}
