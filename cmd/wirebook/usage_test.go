package main

import (
	"strings"
	"testing"
)

// A mistyped flag must say what is wrong and how the command is used, on
// stderr, with exit 2, for every command.
func TestUnknownFlagPrintsTheErrorAndTheUsageLine(t *testing.T) {
	for _, tc := range []struct{ cmd, flag, usage string }{
		{"build", "--ouput", "Usage: wirebook build [--out DIR] [PATH...]"},
		{"check", "--jnuit", "Usage: wirebook check [flags] [PATH...]"},
		{"run", "--stpe", "Usage: wirebook run [flags] LAB.md"},
		{"update", "--dryrun", "Usage: wirebook update [flags] [PATH...]"},
		{"serve", "--adr", "Usage: wirebook serve [flags] [PATH]"},
		{"new", "--froce", "Usage: wirebook new DIR"},
		{"servers", "--adress", "Usage: wirebook servers [flags]"},
		{"report merge", "--jsno", "Usage: wirebook report merge [flags] INPUT..."},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			args := append(strings.Fields(tc.cmd), tc.flag, "x")
			status, stdout, stderr := runCLI(t, nil, "", args...)
			if status != exitUsage {
				t.Errorf("exit = %d, want %d", status, exitUsage)
			}
			if want := "wirebook " + tc.cmd + ": unknown flag: " + tc.flag; !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
			if !strings.Contains(stderr, tc.usage) {
				t.Errorf("stderr lacks the usage line %q:\n%s", tc.usage, stderr)
			}
			if stdout != "" {
				t.Errorf("a usage error wrote to stdout: %q", stdout)
			}
		})
	}
}

func TestWrongNumberOfPathsIsAUsageError(t *testing.T) {
	for _, args := range [][]string{{"run"}, {"run", "a.md", "b.md"}, {"new"}} {
		status, _, stderr := runCLI(t, nil, "", args...)
		if status != exitUsage || !strings.Contains(stderr, "Usage: wirebook "+args[0]) {
			t.Errorf("%v: exit %d, stderr %q", args, status, stderr)
		}
	}
}
