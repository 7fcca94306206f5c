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
