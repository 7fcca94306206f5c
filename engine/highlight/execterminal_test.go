package highlight

import (
	"testing"

	"github.com/wirebook/wirebook/protocols"
)

func TestExecTerminalLine(t *testing.T) {
	for _, tc := range []struct {
		ev          protocols.Event
		plain, want string
	}{
		{protocols.Event{Kind: protocols.Client, Text: ">>> 1 + 1"}, ">>> 1 + 1", "\x1b[1;36m>>> \x1b[0m\x1b[36m1 + 1\x1b[0m"},
		{protocols.Event{Kind: protocols.Client, Text: "...     pass"}, "...     pass", "\x1b[1;36m... \x1b[0m\x1b[36m    pass\x1b[0m"},
		{protocols.Event{Kind: protocols.Client, Text: "..."}, "...", "\x1b[1;36m...\x1b[0m"},
		{protocols.Event{Kind: protocols.Client, Text: "$ echo hi"}, "$ echo hi", "\x1b[1;36m$ \x1b[0m\x1b[36mecho hi\x1b[0m"},
		{protocols.Event{Kind: protocols.Client, Text: "> more"}, "> more", "\x1b[1;36m> \x1b[0m\x1b[36mmore\x1b[0m"},
		{protocols.Event{Kind: protocols.Server, Text: "2"}, "2", "2"},
		{protocols.Event{Kind: protocols.Server, Text: "250 ok"}, "250 ok", "250 ok"}, // output, not a reply
		{protocols.Event{Kind: protocols.Server, Text: "[3]"}, "[3]", "\x1b[1;31m[3]\x1b[0m"},
		{protocols.Event{Kind: protocols.Server, Text: "[x]"}, "[x]", "[x]"},
		// What the code printed cannot drive the terminal, coloured or not.
		{protocols.Event{Kind: protocols.Server, Text: "a\x1b[2Jb"}, `a\x1b[2Jb`, `a\x1b[2Jb`},
		{protocols.Event{Kind: protocols.Client, Text: ">>> print('\x1b]0;t\x07')"}, `>>> print('\x1b]0;t\x07')`, "\x1b[1;36m>>> \x1b[0m\x1b[36mprint('\\x1b]0;t\\x07')\x1b[0m"},
	} {
		if got := ExecTerminalLine(tc.ev, false); got != tc.plain {
			t.Errorf("plain %q = %q, want %q", tc.ev.Text, got, tc.plain)
		}
		if got := ExecTerminalLine(tc.ev, true); got != tc.want {
			t.Errorf("colour %q = %q, want %q", tc.ev.Text, got, tc.want)
		}
	}
}
