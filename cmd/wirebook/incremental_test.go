package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sameTree(t *testing.T, got, want map[string]string, when string) {
	t.Helper()
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %s differs from a cold build's", when, name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %s is not in a cold build", when, name)
		}
	}
}

func manifestLabs(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	var m struct{ Labs map[string]json.RawMessage }
	data, err := os.ReadFile(filepath.Join(cacheDir, "pages", "build.json"))
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		t.Fatalf("build manifest: %v", err)
	}
	return m.Labs
}

// A rebuild reuses labs whose files hash as recorded, and whatever it
// reuses or redoes, the site is the one a cold build makes of the same
// files: after a title change (the neighbours' links change too), after a
// fixture change (its transcript must be run again), with a broken lab
// (reported on every build, never recorded).
func TestRebuildReusesUnchangedLabsAndMatchesColdBuild(t *testing.T) {
	lab := func(order int, title, block string) string {
		return "---\ntitle: \"" + title + "\"\norder: " + itoa(order) + "\n---\n\nSome prose.\n\n" + block
	}
	smtp := "```smtp\nC: EHLO client.example\nC: QUIT\n```\n"
	pop3 := "```pop3\nC: USER alice\nC: PASS ${password}\nC: RETR 1\nC: QUIT\n```\n"
	files := map[string]string{
		"a.md":      lab(1, "First", smtp),
		"b.md":      lab(2, "Second", smtp),
		"c.md":      "---\ntitle: \"Third\"\norder: 3\nfixtures:\n  - user: alice\n    file: msg.eml\n---\n\n" + pop3,
		"d.md":      lab(4, "Fourth", smtp),
		"msg.eml":   "Subject: version one\n\nfirst body\n",
		"broken.md": lab(5, "Broken", "```smtp\nX: not a line\n```\n"),
	}
	dir := inTempCourse(t, files)
	// A fixed date: a build served from the cache and a cold one must not
	// differ by the day they ran.
	epoch := map[string]string{"SOURCE_DATE_EPOCH": "1767600000"}
	cold := func(when string) map[string]string {
		t.Helper()
		cdir := filepath.Join(t.TempDir(), "cold")
		for name, content := range files {
			p := filepath.Join(cdir, "labs", name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Chdir(cdir)
		defer t.Chdir(dir)
		runCLI(t, epoch, "", "build", "--no-cache", "--out", "out", "labs")
		return readTree(t, filepath.Join(cdir, "out"))
	}
	build := func(when string) {
		t.Helper()
		status, _, stderr := runCLI(t, epoch, "", "build", "--out", "out", "labs")
		if status == exitOK || !strings.Contains(stderr, "broken.md:") {
			t.Fatalf("%s: the broken lab must fail the build every time (status %d):\n%s", when, status, stderr)
		}
	}
	write := func(name, content string) {
		files[name] = content
		if err := os.WriteFile(filepath.Join(dir, "labs", name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build("first build")
	build("second build") // served from the transcript cache: now recorded
	if labs := manifestLabs(t); len(labs) != 4 || labs[filepath.Join("labs", "broken.md")] != nil {
		t.Errorf("manifest records %d labs, want the 4 good ones and not broken.md", len(labs))
	}
	build("unchanged")
	sameTree(t, readTree(t, filepath.Join(dir, "out")), cold("unchanged"), "unchanged")

	write("b.md", lab(2, "Second, renamed", smtp))
	build("title changed")
	got := readTree(t, filepath.Join(dir, "out"))
	sameTree(t, got, cold("title changed"), "title changed")
	if !strings.Contains(got["a.html"], "Second, renamed") || !strings.Contains(got["c.html"], "Second, renamed") {
		t.Error("the neighbours of a renamed lab still link to the old title")
	}

	write("msg.eml", "Subject: version two\n\nsecond body\n")
	build("fixture changed")
	got = readTree(t, filepath.Join(dir, "out"))
	if !strings.Contains(got["c.html"], "version two") || strings.Contains(got["c.html"], "version one") {
		t.Error("a changed fixture's message is not on the page")
	}
}

// A no-change rebuild leaves the index and the course scripts as they are;
// one of them removed is written again, and a course introduction edited
// (no lab changed) is on the index.
func TestRebuildKeepsIndexOnlyWhileItsInputsAreTheSame(t *testing.T) {
	lab := "---\ntitle: \"Only\"\norder: 1\n---\n\nProse with searchword.\n\n```smtp\nC: EHLO client.example\nC: QUIT\n```\n"
	dir := inTempCourse(t, map[string]string{"a.md": lab, "index.md": "---\ntitle: Course\n---\n\nIntro one.\n"})
	epoch := map[string]string{"SOURCE_DATE_EPOCH": "1767600000"}
	build := func(when string) map[string]string {
		t.Helper()
		if status, _, stderr := runCLI(t, epoch, "", "build", "--out", "out", "labs"); status != exitOK {
			t.Fatalf("%s: status %d:\n%s", when, status, stderr)
		}
		return readTree(t, filepath.Join(dir, "out"))
	}
	build("first")
	want := build("second") // from the transcript cache: recorded
	index := filepath.Join(dir, "out", "index.html")
	old := time.Unix(1_000_000_000, 0)
	if err := os.Chtimes(index, old, old); err != nil {
		t.Fatal(err)
	}
	sameTree(t, build("unchanged"), want, "unchanged")
	if st, err := os.Stat(index); err != nil || !st.ModTime().Equal(old) {
		t.Errorf("a no-change rebuild wrote index.html again (%v)", err)
	}
	for _, f := range []string{"index.html", "assets/search.js", "assets/course.js"} {
		if err := os.Remove(filepath.Join(dir, "out", f)); err != nil {
			t.Fatal(err)
		}
		sameTree(t, build(f+" removed"), want, f+" removed")
	}
	if !strings.Contains(want["assets/search.js"], "searchword") {
		t.Errorf("search.js lacks the lab's words:\n%s", want["assets/search.js"])
	}
	if err := os.WriteFile(filepath.Join(dir, "labs", "index.md"), []byte("---\ntitle: Course\n---\n\nIntro two.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := build("intro changed"); !strings.Contains(got["index.html"], "Intro two.") {
		t.Error("an edited course introduction is not on the index")
	}
}
