package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const envCourseYAML = "environments:\n  other:\n    transcripts: transcripts/other\n    servers:\n      default: embedded\n"

// An environment's page is the lab as it is now (prose and client lines)
// with that environment's server side; its transcript file holds only the
// server side, and the lab is never written by update --env.
func TestEnvironmentPageShowsTheLabsCurrentProse(t *testing.T) {
	dir := inTempCourse(t, map[string]string{"small.md": smallLab})
	os.WriteFile(filepath.Join(dir, "wirebook.yaml"), []byte(envCourseYAML), 0o644)
	runCLI(t, nil, "", "update", "labs")
	recorded, _ := os.ReadFile(filepath.Join(dir, "labs", "small.md"))
	// No entry yet: the lab's own S: lines are the expectation.
	if status, out, _ := runCLI(t, nil, "", "check", "--env", "other", "labs"); status != exitOK || !strings.HasSuffix(out, "1 passed, 0 failed\n") {
		t.Fatalf("check --env before recording: exit %d\n%s", status, out)
	}
	if status, out, stderr := runCLI(t, nil, "", "update", "--env", "other", "labs"); status != exitOK || !strings.Contains(out, "transcripts/other/small.txt: updated 1 block(s)") {
		t.Fatalf("update --env: exit %d\n%s%s", status, out, stderr)
	}
	if lab, _ := os.ReadFile(filepath.Join(dir, "labs", "small.md")); string(lab) != string(recorded) {
		t.Fatalf("update --env changed the lab:\n%s", lab)
	}
	transcript, err := os.ReadFile(filepath.Join(dir, "transcripts", "other", "small.txt"))
	if err != nil || strings.Contains(string(transcript), "# Small") || !strings.Contains(string(transcript), "S: 220 mail.example.com ESMTP") {
		t.Fatalf("transcript (%v):\n%s", err, transcript)
	}
	if status, out, _ := runCLI(t, nil, "", "check", "--env", "other", "labs"); status != exitOK || !strings.HasSuffix(out, "1 passed, 0 failed\n") {
		t.Fatalf("check --env: exit %d\n%s", status, out)
	}
	// The author rewrites the prose: the environment's page shows it at
	// once, still verified against the recorded server side.
	edited := strings.Replace(string(recorded), "# Small\n", "# Small\n\nThe prose as it reads today.\n", 1)
	os.WriteFile(filepath.Join(dir, "labs", "small.md"), []byte(edited), 0o644)
	if status, _, stderr := runCLI(t, nil, "", "build", "--env", "other", "--out", "out", "labs"); status != exitOK {
		t.Fatalf("build --env: exit %d\n%s", status, stderr)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "out", "small.html"))
	if !strings.Contains(string(page), "The prose as it reads today.") || !strings.Contains(string(page), `wb-badge-verified" title="verified against the embedded lab server`) {
		t.Errorf("the environment's page:\n%s", textOf(string(page)))
	}
	// A changed block is reported as needing an update, never matched with
	// the lines recorded for the old one: here it falls back on the lab's
	// own S: lines, which it no longer matches either.
	os.WriteFile(filepath.Join(dir, "labs", "small.md"), []byte(strings.Replace(edited, "C: QUIT", "C: NOOP\nC: QUIT", 1)), 0o644)
	status, out, _ := runCLI(t, nil, "", "check", "--env", "other", "labs")
	if status != exitFailed || !strings.Contains(out, "smtp block 1 differs from the embedded lab server") ||
		!strings.Contains(out, "--- labs/small.md (as written)") ||
		!strings.Contains(out, "  note: transcripts/other/small.txt:8: the entry for this block was recorded for other client lines; run 'wirebook update' with this --env to record it (until then the lab's own S: lines are the expectation)") {
		t.Errorf("check --env after the block changed: exit %d\n%s", status, out)
	}
}
