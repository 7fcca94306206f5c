package atomicfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

func TestWriteFollowsASymlinkAndKeepsIt(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "real", "lab.md")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "lab.md")
	if err := os.Symlink(filepath.Join("real", "lab.md"), link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", st.Mode(), err)
	}
	if got, _ := os.ReadFile(target); string(got) != "new" {
		t.Errorf("target holds %q, want the new content", got)
	}
	for _, d := range []string{dir, filepath.Join(dir, "real")} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if e.Name() != "lab.md" && e.Name() != "real" {
				t.Errorf("left in %s: %s", d, e.Name())
			}
		}
	}
	dangling := filepath.Join(dir, "gone.md")
	if err := os.Symlink("nowhere.md", dangling); err != nil {
		t.Fatal(err)
	}
	if err := Write(dangling, []byte("x"), 0o644); err == nil {
		t.Errorf("writing through a link to nothing succeeded")
	}
	if st, _ := os.Lstat(dangling); st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the dangling link was replaced by a file")
	}
}

// deadPid is the pid of a process that has ended.
func deadPid(t *testing.T) int {
	// The test binary itself, running no test: it starts and ends.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestRemoveStaleRemovesOnlyOwnStaleLeftovers(t *testing.T) {
	dir := t.TempDir()
	lab := filepath.Join(dir, "lab.md")
	if err := os.WriteFile(lab, []byte("lab"), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	dead, live := strconv.Itoa(deadPid(t)), strconv.Itoa(os.Getpid())
	files := map[string]time.Duration{ // name: age
		".lab.md.tmp-" + dead + "-123":  2 * time.Minute,  // writer gone: stale
		".lab.md.tmp-" + dead + "-456":  10 * time.Second, // writer gone, but just now: kept
		".lab.md.tmp-" + live + "-789":  5 * time.Minute,  // writer alive: kept
		".lab.md.tmp-" + live + "-790":  11 * time.Minute, // alive but far too old: stale
		".lab.md.tmp-2840813":           11 * time.Minute, // older name form, old: stale
		".lab.md.tmp-2840814":           2 * time.Minute,  // older name form, recent: kept
		".other.md.tmp-" + dead + "-1":  time.Hour,        // another file's: kept
		"lab.md.tmp-" + dead + "-1":     time.Hour,        // not the pattern: kept
		".lab.md.tmp-notes":             time.Hour,        // not the pattern: kept
		".lab.md.tmp-" + dead + "-1.md": time.Hour,        // not the pattern: kept
	}
	for name, age := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("part"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := RemoveStale(lab, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range removed {
		got = append(got, filepath.Base(p))
	}
	sort.Strings(got)
	want := []string{".lab.md.tmp-" + dead + "-123", ".lab.md.tmp-" + live + "-790", ".lab.md.tmp-2840813"}
	sort.Strings(want)
	if len(got) != len(want) {
		t.Fatalf("removed %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("removed %v, want %v", got, want)
		}
	}
	for name := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		gone := os.IsNotExist(err)
		if gone != contains(want, name) {
			t.Errorf("%s: gone=%v", name, gone)
		}
	}
	if data, _ := os.ReadFile(lab); string(data) != "lab" {
		t.Errorf("the lab itself changed: %q", data)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
