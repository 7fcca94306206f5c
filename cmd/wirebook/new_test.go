package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The starter lab passes `check` as created: verified, not merely captured,
// whatever environment the shell that ran `new` points at.
func TestNewStarterLabPassesCheckAsCreated(t *testing.T) {
	dir := inTempCourse(t, nil)
	status, out, stderr := runCLI(t, map[string]string{"WIREBOOK_ENV": "real"}, "", "new", "course")
	if status != exitOK {
		t.Fatalf("new: exit %d\n%s%s", status, out, stderr)
	}
	lab, err := os.ReadFile(filepath.Join(dir, "course", "labs", "first-lab.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(lab), "S: 220 mail.example.com ESMTP") || !strings.Contains(string(lab), "C: EHLO client.example\nS: 250-") {
		t.Errorf("the starter lab has no server lines:\n%s", lab)
	}
	t.Chdir(filepath.Join(dir, "course"))
	status, out, stderr = runCLI(t, nil, "", "check", "--json")
	if status != exitOK {
		t.Fatalf("check of the new course: exit %d\n%s%s", status, out, stderr)
	}
	var report struct {
		Sessions []struct{ Lab, Status string }
	}
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&report); err != nil {
		t.Fatalf("check --json: %v\n%s", err, out)
	}
	if len(report.Sessions) == 0 {
		t.Fatal("check ran no session")
	}
	for _, s := range report.Sessions {
		if s.Status != "verified" {
			t.Errorf("%s: status %q, want verified", s.Lab, s.Status)
		}
	}
}

// The hints after `new` are commands of the system they are printed on.
func TestNewNextStepsWorkOnEverySystem(t *testing.T) {
	for goos, opener := range map[string]string{"linux": "xdg-open public/index.html", "darwin": "open public/index.html", "windows": `start public\index.html`} {
		got := nextSteps("my course", "wirebook", goos)
		for _, want := range []string{"\n  " + opener + "\n", "wirebook serve", "wirebook build", "file://", "wirebook check"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s: hints lack %q:\n%s", goos, want, got)
			}
		}
		if goos != "darwin" && strings.Contains(got, "  open ") {
			t.Errorf("%s: hints suggest macOS open:\n%s", goos, got)
		}
		cd := map[string]string{"windows": `cd "my course"`}[goos]
		if cd == "" {
			cd = "cd 'my course'"
		}
		if !strings.Contains(got, "\n  "+cd+"\n") {
			t.Errorf("%s: hints lack %q:\n%s", goos, cd, got)
		}
	}
	abs, _ := filepath.Abs(filepath.Join("my course", "public", "index.html"))
	if got := fileURL(abs); !strings.HasPrefix(got, "file:///") || !strings.HasSuffix(got, "/my%20course/public/index.html") {
		t.Errorf("fileURL(%q) = %q", abs, got)
	}
}
