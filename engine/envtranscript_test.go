package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const envLabSrc = "# Hello\n\nProse of today.\n\n```smtp\nC: EHLO client.example\nS: 250 written for the embedded server\nC: QUIT\n```\n\nMore prose.\n\n```smtp\nC: NOOP\nC: QUIT\n```\n"

func TestEnvironmentTranscriptHoldsOnlyTheServerSide(t *testing.T) {
	dir := t.TempDir()
	envDir := filepath.Join(dir, "transcripts", "real")
	when := time.Date(2026, 12, 1, 20, 41, 7, 0, time.UTC)
	eng, _ := newTestEngine(t, Options{TranscriptDir: envDir, Now: func() time.Time { return when }})
	path := writeLab(t, dir, "l.md", envLabSrc)
	r := eng.RunLab(context.Background(), path)
	if r.Err != nil || r.Path != path || r.Expected(nil) != filepath.Join(envDir, "l.txt") {
		t.Fatalf("run: err %v, path %q, expected %q", r.Err, r.Path, r.Expected(nil))
	}
	// With no entry yet, a block is compared with the lab's own S: lines,
	// and the report says so; a block with none is captured.
	want := []string{StatusMismatch, StatusCaptured}
	for i, s := range r.Sessions {
		if s.Status != want[i] || !strings.Contains(s.Note, "l.txt has no entry for this block; run 'wirebook update' with this --env") {
			t.Errorf("block %d before any update: %s %q", s.Block.Index+1, s.Status, s.Note)
		}
	}
	if got := r.Expected(r.Sessions[0]); got != path {
		t.Errorf("block 1's expected lines are said to be in %s, want the lab", got)
	}
	changes, _ := PlanUpdate(r)
	if len(changes) != 2 {
		t.Fatalf("%d changes, want 2", len(changes))
	}
	if err := WriteUpdate(r, changes); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(path); string(now) != envLabSrc {
		t.Errorf("the lab itself was changed:\n%s", now)
	}
	data, err := os.ReadFile(r.Expected(nil))
	if err != nil {
		t.Fatal(err)
	}
	file := string(data)
	for _, want := range []string{"\nblock 1 smtp " + blockHash(r.Lab.Blocks[0]) + " captured 2026-12-01T20:41:07Z\n", "\nafter C1\nS: 250-mail.example.com\n", "\nafter C2\nS: 221 "} {
		if !strings.Contains(file, want) {
			t.Errorf("transcript lacks %q:\n%s", want, file)
		}
	}
	for _, bad := range []string{"Prose of", "More prose", "C: ", "EHLO", "written for the embedded"} {
		if strings.Contains(file, bad) {
			t.Errorf("transcript holds the lab's text %q:\n%s", bad, file)
		}
	}
	r = eng.RunLab(context.Background(), path)
	for _, s := range r.Sessions {
		if s.Status != StatusVerified {
			t.Errorf("block %d against the recorded transcript: %s %s", s.Block.Index+1, s.Status, s.Reason)
		}
	}
	if string(r.Lab.Source) != envLabSrc {
		t.Errorf("the result's lab is not the lab")
	}
	// New prose is the page's at once; a changed block no longer matches
	// its entry and says so; the other block still verifies.
	edited := strings.Replace(strings.Replace(envLabSrc, "Prose of today.", "Prose of tomorrow.", 1), "C: NOOP", "C: NOOP\nC: RSET", 1)
	writeLab(t, dir, "l.md", edited)
	r = eng.RunLab(context.Background(), path)
	if r.Sessions[0].Status != StatusVerified || !strings.Contains(string(r.Lab.Markdown), "Prose of tomorrow.") {
		t.Errorf("unchanged block: %s %s", r.Sessions[0].Status, r.Sessions[0].Reason)
	}
	if s := r.Sessions[1]; s.Status != StatusCaptured || !strings.Contains(s.Note, "l.txt:23: the entry for this block was recorded for other client lines") {
		t.Errorf("changed block: %s %q", s.Status, s.Note)
	}
	// Offline, the transcript's lines are shown with their capture date.
	off, _ := newTestEngine(t, Options{TranscriptDir: envDir, Offline: true})
	r = off.RunLab(context.Background(), path)
	if s := r.Sessions[0]; !s.When.Equal(when) || len(texts(s.Events, 1)) == 0 {
		t.Errorf("offline: when %v, events %v", s.When, s.Events)
	}
	// A hand-broken transcript is a file:line error, not a silent match.
	os.WriteFile(r.Expected(nil), []byte("block 1 smtp abc\nC: EHLO x\n"), 0o644)
	if r = eng.RunLab(context.Background(), path); r.Err == nil || !strings.Contains(r.Err.Error(), "l.txt:2:") {
		t.Errorf("broken transcript: %v", r.Err)
	}
}
