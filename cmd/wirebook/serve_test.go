package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/protocols"
)

// newTestPreview is `wirebook serve` without its HTTP server and poller,
// built on engine options the test chooses.
func newTestPreview(t *testing.T, dir string, opts engine.Options) (*preview, *syncBuffer, *syncBuffer) {
	t.Helper()
	var out, errb syncBuffer
	e := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	common := commonFlags{jobs: 2}
	eng, err := common.engine(e, newEmbeddedProvider(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return &preview{env: e, eng: eng, paths: []string{"labs"}, out: filepath.Join(dir, "serve")}, &out, &errb
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A save that lands while a build runs (here: while the lab's session is
// on the wire, after the lab was read) must be built too. Before, serve
// took the files' state after the build, saw nothing new, and the page kept
// the old text until the next save.
func TestServeBuildsASaveMadeDuringTheBuild(t *testing.T) {
	dir := inTempCourse(t, map[string]string{"small.md": smallLab})
	path := filepath.Join(dir, "labs", "small.md")
	var once sync.Once
	saved := make(chan struct{})
	opts := engineOptionsForServe()
	opts.Observe = func(*lab.Block, protocols.Event) {
		once.Do(func() {
			if err := os.WriteFile(path, []byte(strings.Replace(smallLab, "# Small", "# Saved during the build", 1)), 0o644); err != nil {
				t.Error(err)
			}
			close(saved)
		})
	}
	p, out, _ := newTestPreview(t, dir, opts)
	p.rebuild()
	select {
	case <-saved:
	default:
		t.Fatal("the hook never ran: no session was run during the build")
	}
	page, err := os.ReadFile(filepath.Join(dir, "serve", "small.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "Saved during the build") {
		t.Errorf("the save made during the build is not on the page:\n%s", textOf(string(page)))
	}
	if got := p.version.Load(); got != 2 {
		t.Errorf("version = %d after a save during the first build, want 2 (built again)", got)
	}
	if !strings.Contains(out.String(), "files changed during the build; building again") {
		t.Errorf("the terminal does not say the build runs again:\n%s", out.String())
	}
	// The state recorded is the one built: the poller sees nothing new.
	if snapshot(p.paths, p.out) != p.lastSnapshot {
		t.Errorf("after the rebuild the recorded state is not the files' state")
	}
}

// The output directory may lie under the watched path (`serve --out public
// .`); writing it must not look like an edit, or serve would build forever.
func TestServeSnapshotIgnoresItsOutput(t *testing.T) {
	dir := inTempCourse(t, map[string]string{"small.md": smallLab})
	out := filepath.Join(dir, "labs", "public")
	before := snapshot([]string{"labs"}, out)
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "index.html"), []byte("built"), 0o644)
	if snapshot([]string{"labs"}, out) != before {
		t.Errorf("writing the output directory changed the snapshot")
	}
	// Same size, new content: still an edit, whatever the clock's tick.
	lab := filepath.Join(dir, "labs", "small.md")
	st, _ := os.Stat(lab)
	os.WriteFile(lab, []byte(strings.Replace(smallLab, "Small", "Smoll", 1)), 0o644)
	os.Chtimes(lab, st.ModTime(), st.ModTime())
	if snapshot([]string{"labs"}, out) == before {
		t.Errorf("an edit of the same size and time went unnoticed")
	}
}

// Each lab's problems are printed when they change, not again on every
// save of another lab; when they are gone, the terminal says so.
func TestServePrintsALabsProblemsOncePerChange(t *testing.T) {
	dir := inTempCourse(t, map[string]string{
		"good.md": smallLab,
		"bad.md":  "# Bad\n\n```smtp colour=red\nC: EHLO x\n```\n",
	})
	p, out, errb := newTestPreview(t, dir, engineOptionsForServe())
	p.rebuild()
	first := errb.String()
	if strings.Count(first, "labs/bad.md:") != 1 {
		t.Fatalf("first build: want bad.md's error once on stderr, got:\n%s", first)
	}
	if !strings.Contains(out.String(), "problems in 1: labs/bad.md") {
		t.Errorf("the build line does not name the lab with problems:\n%s", out.String())
	}
	// Another lab saved: bad.md's unchanged error is not printed again.
	os.WriteFile(filepath.Join(dir, "labs", "good.md"), []byte(strings.Replace(smallLab, "# Small", "# Small, edited", 1)), 0o644)
	p.rebuild()
	if again := strings.TrimPrefix(errb.String(), first); again != "" {
		t.Errorf("a save of good.md printed again:\n%s", again)
	}
	if !strings.Contains(out.String(), "(version 2); problems in 1: labs/bad.md") {
		t.Errorf("the second build line does not still name bad.md:\n%s", out.String())
	}
	// bad.md's error changes: printed, once.
	os.WriteFile(filepath.Join(dir, "labs", "bad.md"), []byte("# Bad\n\n```smtp size=big\nC: EHLO x\n```\n"), 0o644)
	p.rebuild()
	changed := strings.TrimPrefix(errb.String(), first)
	if strings.Count(changed, "labs/bad.md:") != 1 || !strings.Contains(changed, "size") {
		t.Errorf("bad.md's new error: want it printed once, got:\n%s", changed)
	}
	// Fixed: said so, in one line.
	before := errb.String()
	os.WriteFile(filepath.Join(dir, "labs", "bad.md"), []byte(smallLab), 0o644)
	p.rebuild()
	if fixed := strings.TrimPrefix(errb.String(), before); fixed != "labs/bad.md: no problems now\n" {
		t.Errorf("after fixing bad.md stderr got %q", fixed)
	}
	if strings.Contains(out.String(), "\x1b[") || strings.Contains(errb.String(), "\x1b[") {
		t.Errorf("colour codes written to a stream that is not a terminal")
	}
}
