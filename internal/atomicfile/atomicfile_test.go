package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteReplacesWholeAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	if err := Write(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(got) != "two" || st.Mode().Perm() != 0o644 {
		t.Errorf("content %q mode %v", got, st.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
}

func TestWriteIfChangedKeepsTime(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.txt")
	Write(p, []byte("same"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	WriteIfChanged(p, []byte("same"), 0o644)
	if st, _ := os.Stat(p); !st.ModTime().Equal(old) {
		t.Errorf("unchanged file rewritten")
	}
	WriteIfChanged(p, []byte("new"), 0o644)
	if got, _ := os.ReadFile(p); string(got) != "new" {
		t.Errorf("changed file not written")
	}
}

func TestWriteIntoMissingDirFails(t *testing.T) {
	if err := Write(filepath.Join(t.TempDir(), "no", "f"), []byte("x"), 0o644); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

func TestReplaceIfChanged(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "page.html")
	if err := ReplaceIfChanged(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	if err := ReplaceIfChanged(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); !st.ModTime().Equal(old) {
		t.Error("unchanged file rewritten")
	}
	// Same size, other bytes: still rewritten.
	if err := ReplaceIfChanged(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "two" {
		t.Errorf("content %q, want two", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
}

// A directory where the file should go is an error, and no temporary
// file is left beside it (rename(2) refuses, as os.Rename did).
func TestReplaceOverDirectoryFails(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "page.html")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := ReplaceIfChanged(target, []byte("x"), 0o644); err == nil {
		t.Fatal("replacing a directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

// The three cases ReplaceIfChanged tells apart by one look: a missing
// file is created, an equal one is left alone (its time kept), a
// different one replaced.
func TestReplaceIfChangedCases(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := ReplaceIfChanged(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Unix(1_000_000_000, 0)
	os.Chtimes(p, old, old)
	if err := ReplaceIfChanged(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); !st.ModTime().Equal(old) {
		t.Error("an unchanged file was written again")
	}
	if err := ReplaceIfChanged(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "two" {
		t.Errorf("content %q, want two", got)
	}
}

// ReplaceNew creates a missing file whole with the mode asked for (not
// the umask's), and with a file already there behaves as
// ReplaceIfChanged; it leaves nothing else in the directory.
func TestReplaceNew(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "page.html")
	if err := ReplaceNew(p, []byte("new page"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("stat %v, mode %v", err, st.Mode())
	}
	if got, _ := os.ReadFile(p); string(got) != "new page" {
		t.Errorf("content %q", got)
	}
	if err := ReplaceNew(p, []byte("second"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "second" {
		t.Errorf("an existing file was not replaced: %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	if err := ReplaceNew(filepath.Join(dir, "missing", "x"), []byte("x"), 0o644); err == nil {
		t.Error("a file in a missing directory was written")
	}
}
