package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const pipelinedLab = "# Pipelined\n\n```smtp\nC: EHLO client.example\nC: MAIL FROM:<teacher@example.com>\nC+ RCPT TO:<alice@example.com>\nC: QUIT\n```\n"

// A C+ line stays C+ wherever a transcript is shown: on the page, in run,
// --step and --compare, so the reader sees what was pipelined.
func TestPipelinedLinesShownAsCPlus(t *testing.T) {
	dir := inTempCourse(t, map[string]string{"pipe.md": pipelinedLab})
	if status, _, stderr := runCLI(t, nil, "", "build", "--out", "out", "labs"); status != exitOK {
		t.Fatalf("build: exit %d\n%s", status, stderr)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "out", "pipe.html"))
	if got := strings.Count(string(page), `<span class="wb-gutter">C+ </span>`); got != 1 {
		t.Errorf("page has %d C+ lines, want 1 (RCPT):\n%s", got, page)
	}
	if !strings.Contains(string(page), `<span class="wb-gutter">C+ </span><span class="wb-text"><span class="k">RCPT</span>`) {
		t.Errorf("the RCPT line is not the C+ one")
	}
	// Offline, the lab's own lines keep their mark too.
	if status, _, stderr := runCLI(t, nil, "", "build", "--offline", "--out", "off", "labs"); status != exitOK {
		t.Fatalf("build --offline: exit %d\n%s", status, stderr)
	}
	if off, _ := os.ReadFile(filepath.Join(dir, "off", "pipe.html")); strings.Count(string(off), `<span class="wb-gutter">C+ </span>`) != 1 {
		t.Errorf("the offline page does not show the C+ line")
	}
	env := map[string]string{"NO_COLOR": "1"}
	if status, out, _ := runCLI(t, env, "", "run", "labs/pipe.md"); status != exitOK || !strings.Contains(out, "\nC+ RCPT TO:<alice@example.com>\n") || !strings.Contains(out, "\nC: MAIL FROM:<teacher@example.com>\n") {
		t.Errorf("run: exit %d\n%s", status, out)
	}
	if status, _, stderr := runCLI(t, env, "\n\n\n", "run", "--step", "labs/pipe.md"); status != exitOK || !strings.Contains(stderr, "[Enter] to send C: MAIL FROM:<teacher@example.com> | C+ RCPT TO:<alice@example.com> ") {
		t.Errorf("run --step: exit %d\n%s", status, stderr)
	}
	runCLI(t, nil, "", "update", "labs")
	if status, out, _ := runCLI(t, env, "", "run", "--compare", "labs/pipe.md"); status != exitOK || !strings.Contains(out, "C+ RCPT TO:<alice@example.com>") {
		t.Errorf("run --compare: exit %d\n%s", status, out)
	}
}
