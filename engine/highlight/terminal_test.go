package highlight

import (
	"regexp"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols"
)

// ourSGR matches the colour sequences TerminalLine itself writes.
var ourSGR = regexp.MustCompile(`\x1b\[(?:0|2;33|3[1-6])m`)

func TestTerminalLineNeutralises(t *testing.T) {
	hostile := "220 \x1b]0;pwned\x07 \x1b[2J\u009b31m\u202eevil\xff"
	want := `S: 220 \x1b]0;pwned\x07 \x1b[2J\u009b31m\u202eevil\xff`
	for _, color := range []bool{false, true} {
		got := TerminalLine(ev(protocols.Server, hostile), color)
		if rest := ourSGR.ReplaceAllString(got, ""); rest != want {
			t.Errorf("TerminalLine(color=%v) without its own colours = %q, want %q", color, rest, want)
		}
		if r := rawControl(ourSGR.ReplaceAllString(got, "")); r >= 0 {
			t.Errorf("TerminalLine(color=%v) has raw control %#x", color, r)
		}
	}
}

func TestTerminalLine(t *testing.T) {
	tests := []struct {
		name  string
		ev    protocols.Event
		color bool
		want  string
	}{
		{"plain client", ev(protocols.Client, "EHLO x"), false, "C: EHLO x"},
		{"plain note", ev(protocols.Note, "connected"), false, "N: connected"},
		{"client cyan", ev(protocols.Client, "EHLO x"), true, "\x1b[36mC: EHLO x\x1b[0m"},
		{"note dim", ev(protocols.Note, "connected"), true, "\x1b[2;33mN: connected\x1b[0m"},
		{"error red", ev(protocols.Note, "error: boom"), true, "\x1b[31mN: error: boom\x1b[0m"},
		{"smtp 2xx", ev(protocols.Server, "250-SIZE 100"), true, "S: \x1b[32m250\x1b[0m-SIZE 100"},
		{"smtp 3xx", ev(protocols.Server, "354 go"), true, "S: \x1b[34m354\x1b[0m go"},
		{"smtp 4xx", ev(protocols.Server, "421 bye"), true, "S: \x1b[33m421\x1b[0m bye"},
		{"smtp 5xx", ev(protocols.Server, "550 no"), true, "S: \x1b[31m550\x1b[0m no"},
		{"http status", ev(protocols.Server, "HTTP/1.1 404 Not Found"), true, "S: HTTP/1.1 \x1b[33m404\x1b[0m Not Found"},
		{"pop3 ok", ev(protocols.Server, "+OK ready"), true, "S: \x1b[32m+OK\x1b[0m ready"},
		{"pop3 err", ev(protocols.Server, "-ERR no"), true, "S: \x1b[31m-ERR\x1b[0m no"},
		{"imap tagged no", ev(protocols.Server, "a1 NO [AUTHENTICATIONFAILED] no"), true, "S: a1 \x1b[33mNO\x1b[0m [AUTHENTICATIONFAILED] no"},
		{"imap untagged ok", ev(protocols.Server, "* OK ready"), true, "S: * \x1b[32mOK\x1b[0m ready"},
		{"imap continuation", ev(protocols.Server, "+ idling"), true, "S: \x1b[34m+\x1b[0m idling"},
		{"header is not a status", ev(protocols.Server, "X-Note: OK"), true, "S: X-Note: OK"},
		{"payload not coloured", payload(protocols.Server, "250 in a body"), true, "S: 250 in a body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TerminalLine(tt.ev, tt.color); got != tt.want {
				t.Errorf("TerminalLine(%q, %v) = %q, want %q", tt.ev.Text, tt.color, got, tt.want)
			}
		})
	}
}

func TestPlainTerminal(t *testing.T) {
	events := []protocols.Event{ev(protocols.Server, "220 hi"), ev(protocols.Client, "QUIT")}
	if got, want := PlainTerminal(events, false), "S: 220 hi\nC: QUIT\n"; got != want {
		t.Errorf("PlainTerminal = %q, want %q", got, want)
	}
	if got := PlainTerminal(events, true); !strings.Contains(got, "\x1b[36mC: QUIT") {
		t.Errorf("PlainTerminal(color) = %q, want a cyan client line", got)
	}
}
