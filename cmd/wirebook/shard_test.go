package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/engine"
)

type jsonReport struct {
	Shard    string            `json:"shard"`
	Sessions []json.RawMessage `json:"sessions"`
	Errors   []string          `json:"errors"`
}

func decodeReport(t *testing.T, data string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.NewDecoder(strings.NewReader(data)).Decode(&r); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, data)
	}
	return r
}

// labsOf lists the labs a report has sessions of.
func labsOf(t *testing.T, r jsonReport) []string {
	seen := map[string]bool{}
	for _, s := range r.Sessions {
		var v struct{ Lab string }
		if err := json.Unmarshal(s, &v); err != nil {
			t.Fatal(err)
		}
		seen[v.Lab] = true
	}
	var out []string
	for l := range seen {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// byLab is a report's sessions in the merged order: lab path, then document.
func byLab(t *testing.T, r jsonReport) []string {
	type s struct {
		lab string
		raw string
	}
	var all []s
	for _, raw := range r.Sessions {
		var v struct{ Lab string }
		_ = json.Unmarshal(raw, &v)
		all = append(all, s{v.Lab, string(raw)})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].lab < all[j].lab })
	var out []string
	for _, x := range all {
		out = append(out, x.raw)
	}
	return out
}

// The course as three shards, each in its own checkout as on three CI
// machines: the shards are disjoint and complete, the merged report has the
// unsharded verdicts, and the site built from the merged caches alone is
// byte for byte the unsharded one.
func TestShardedCheckMergesToTheUnshardedRun(t *testing.T) {
	whole := copyCourse(t)
	root := filepath.Dir(whole)
	st, out, errb := runCLI(t, nil, "", "check", "--json", "labs")
	if st != exitOK {
		t.Fatalf("unsharded check: %d\n%s%s", st, out, errb)
	}
	unsharded := decodeReport(t, out)
	wantLine := lastLine(errb) // with --json the summary is on stderr
	if st, _, e := runCLI(t, nil, "", "build", "--out", "site", "labs"); st != exitOK {
		t.Fatalf("unsharded build: %d %s", st, e)
	}
	all, _ := engine.FindLabs([]string{"labs"})

	var reports, junits, caches []string
	seen := map[string]int{}
	for k := 1; k <= 3; k++ {
		dir := filepath.Join(root, fmt.Sprintf("shard%d", k))
		if err := os.CopyFS(filepath.Join(dir, "labs"), os.DirFS(filepath.Join(whole, "labs"))); err != nil {
			t.Fatal(err)
		}
		t.Chdir(dir)
		shard := fmt.Sprintf("%d/3", k)
		st, out, errb := runCLI(t, nil, "", "check", "--shard", shard, "--json", "--junit", "junit.xml", "labs")
		if st != exitOK {
			t.Fatalf("shard %s: %d\n%s%s", shard, st, out, errb)
		}
		r := decodeReport(t, out)
		if r.Shard != shard {
			t.Errorf("shard %s report says shard %q", shard, r.Shard)
		}
		labs := labsOf(t, r)
		if len(labs) == 0 {
			t.Errorf("shard %s ran no lab", shard)
		}
		for _, l := range labs {
			seen[l]++
		}
		os.WriteFile("report.json", []byte(out), 0o644)
		reports = append(reports, filepath.Join(dir, "report.json"))
		junits = append(junits, filepath.Join(dir, "junit.xml"))
		caches = append(caches, filepath.Join(dir, ".wirebook", "cache"))
	}
	for _, l := range all {
		if seen[l] != 1 {
			t.Errorf("%s ran in %d shards, want exactly 1", l, seen[l])
		}
	}
	if len(seen) != len(all) {
		t.Errorf("the shards ran %d labs, the course has %d", len(seen), len(all))
	}

	merged := filepath.Join(root, "merged")
	if err := os.CopyFS(filepath.Join(merged, "labs"), os.DirFS(filepath.Join(whole, "labs"))); err != nil {
		t.Fatal(err)
	}
	t.Chdir(merged)
	args := append([]string{"report", "merge", "--json", "merged.json", "--junit", "merged.xml", "--cache", ".wirebook/cache"}, reports...)
	args = append(append(args, junits...), caches...)
	st, out, errb = runCLI(t, nil, "", args...)
	if st != exitOK {
		t.Fatalf("merge: %d\n%s%s", st, out, errb)
	}
	if lastLine(out) != wantLine {
		t.Errorf("merge says %q, the unsharded check %q", lastLine(out), wantLine)
	}
	data, _ := os.ReadFile("merged.json")
	m := decodeReport(t, string(data))
	if !reflect.DeepEqual(byLab(t, m), byLab(t, unsharded)) {
		t.Errorf("merged sessions differ from the unsharded run's")
	}
	if !reflect.DeepEqual(m.Errors, unsharded.Errors) {
		t.Errorf("merged errors %q, unsharded %q", m.Errors, unsharded.Errors)
	}
	if st, _, e := runCLI(t, nil, "", "build", "--from-cache", "--out", "site", "labs"); st != exitOK {
		t.Fatalf("build --from-cache: %d %s", st, e)
	}
	want, got := readTree(t, filepath.Join(whole, "site")), readTree(t, filepath.Join(merged, "site"))
	if len(want) < 3 || len(want) != len(got) {
		t.Fatalf("unsharded site has %d files, merged %d", len(want), len(got))
	}
	for name, content := range want {
		if got[name] != content {
			t.Errorf("%s differs between the unsharded and the merged site", name)
		}
	}
	// A shard left out, or given twice, is refused.
	if st, _, e := runCLI(t, nil, "", "report", "merge", reports[0], reports[1]); st != exitUsage || !strings.Contains(e, "shard 3/3 missing") {
		t.Errorf("merge of 2 of 3 shards: %d %q", st, e)
	}
	if st, _, e := runCLI(t, nil, "", "report", "merge", reports[0], reports[1], reports[1], reports[2]); st != exitUsage || !strings.Contains(e, "both shard 2/3") {
		t.Errorf("merge with a shard twice: %d %q", st, e)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// A generated 300-lab course against one server: every lab in exactly one
// of three shards, in a first run (no durations: by path) and in a second
// (balanced by the durations the first recorded); a failing lab's verdict
// survives the merge.
func TestShardingAGeneratedCourse(t *testing.T) {
	files := map[string]string{}
	for i := range 300 {
		files[fmt.Sprintf("unit%02d/lab-%03d.md", i%7, i)] = smallLab
	}
	dir := inTempCourse(t, files)
	addr := startEmbeddedSMTP(t)
	if st, _, e := runCLI(t, nil, "", "update", "--server", "default=smtp://"+addr, "labs"); st != exitOK {
		t.Fatalf("update: %d %s", st, e)
	}
	broken := filepath.Join(dir, "labs", "unit04", "lab-137.md")
	data, _ := os.ReadFile(broken)
	if !strings.Contains(string(data), "ESMTP") {
		t.Fatalf("update wrote no greeting:\n%s", data)
	}
	os.WriteFile(broken, []byte(strings.Replace(string(data), "ESMTP", "XSMTP", 1)), 0o644)
	all, _ := engine.FindLabs([]string{"labs"})
	var first []string
	for round := 1; round <= 2; round++ {
		seen := map[string]int{}
		var reports []string
		for k := 1; k <= 3; k++ {
			st, out, errb := runCLI(t, nil, "", "check", "--server", "default=smtp://"+addr, "--shard", fmt.Sprintf("%d/3", k), "--json", "labs")
			if st != exitOK && st != exitFailed {
				t.Fatalf("round %d shard %d: %d %s", round, k, st, errb)
			}
			r := decodeReport(t, out)
			for _, l := range labsOf(t, r) {
				seen[l]++
			}
			name := fmt.Sprintf("r%d-%d.json", round, k)
			os.WriteFile(name, []byte(out), 0o644)
			reports = append(reports, name)
		}
		for _, l := range all {
			if seen[l] != 1 {
				t.Fatalf("round %d: %s ran in %d shards", round, l, seen[l])
			}
		}
		st, out, _ := runCLI(t, nil, "", append([]string{"report", "merge", "--json", "merged.json"}, reports...)...)
		if st != exitFailed || lastLine(out) != "299 passed, 1 failed" {
			t.Errorf("round %d merge: %d %q", round, st, out)
		}
		if round == 1 {
			// An unsharded run: the same verdicts, session by session; it
			// records the durations the next shards are cut by.
			_, out, _ := runCLI(t, nil, "", "check", "--server", "default=smtp://"+addr, "--json", "labs")
			merged, _ := os.ReadFile("merged.json")
			if !reflect.DeepEqual(byLab(t, decodeReport(t, string(merged))), byLab(t, decodeReport(t, out))) {
				t.Errorf("the merged sessions differ from the unsharded run's")
			}
			first = reports
			continue
		}
		// Shards cut from different durations (CI jobs that restored
		// different caches) are refused: labs could be missing.
		st, _, e := runCLI(t, nil, "", "report", "merge", first[0], reports[1], reports[2])
		if st != exitUsage || !strings.Contains(e, "different lab lists or durations") {
			t.Errorf("merge across plans: %d %q", st, e)
		}
	}
}

func startEmbeddedSMTP(t *testing.T) string {
	t.Helper()
	set, err := newEmbeddedProvider().Start(engine.Setup{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	return set.Addr("smtp")
}

func git(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// --changed REV picks the labs whose inputs changed: the lab, a fixture,
// a file of its web root; a change to wirebook.yaml picks them all.
func TestChangedSelectsAffectedLabs(t *testing.T) {
	inTempCourse(t, map[string]string{
		"web.md":          "---\nweb_root: site\n---\n```http\nC: GET /notes.txt HTTP/1.1\nC: Host: www.example.com\nC: Connection: close\nC:\n```\n",
		"site/notes.txt":  "notes\n",
		"mail.md":         "---\nfixtures:\n  - user: alice\n    file: hello.eml\n---\n```pop3\nC: USER alice\nC: PASS ${password}\nC: QUIT\n```\n",
		"hello.eml":       "Subject: hi\n\nhello\n",
		"plain.md":        smallLab,
		"other/plain2.md": smallLab,
	})
	if st, _, e := runCLI(t, nil, "", "check", "--changed", "HEAD", "labs"); st != exitUsage || !strings.Contains(e, "git repository") {
		t.Errorf("outside git: %d %q", st, e)
	}
	os.WriteFile("wirebook.yaml", []byte("environments: {}\n"), 0o644)
	git(t, "init", "-q")
	git(t, "add", ".")
	git(t, "commit", "-q", "-m", "course")
	ran := func(rev string) []string {
		t.Helper()
		st, out, e := runCLI(t, nil, "", "check", "--changed", rev, "--json", "labs")
		if st == exitUsage {
			t.Fatalf("--changed %s: %s", rev, e)
		}
		return labsOf(t, decodeReport(t, out))
	}
	if got := ran("HEAD"); len(got) != 0 {
		t.Errorf("nothing changed, yet ran %v", got)
	}
	os.WriteFile("labs/hello.eml", []byte("Subject: changed\n\nhello\n"), 0o644)
	os.WriteFile("labs/site/new.txt", []byte("new, untracked\n"), 0o644)
	if got := fmt.Sprint(ran("HEAD")); got != "[labs/mail.md labs/web.md]" {
		t.Errorf("after a fixture and web root change: %s", got)
	}
	git(t, "add", ".")
	git(t, "commit", "-q", "-m", "more")
	os.WriteFile("wirebook.yaml", []byte("environments: {}\n# changed\n"), 0o644)
	if got := ran("HEAD"); len(got) != 4 {
		t.Errorf("after a configuration change ran %v, want every lab", got)
	}
	if got := fmt.Sprint(ran("HEAD~1")); !strings.Contains(got, "labs/mail.md") {
		t.Errorf("since HEAD~1: %s", got)
	}
	if st, _, e := runCLI(t, nil, "", "check", "--changed", "no-such-rev", "labs"); st != exitUsage || !strings.Contains(e, "not a revision") {
		t.Errorf("bad revision: %d %q", st, e)
	}
}

// check --max-failures: the labs not started are counted as not passed, in
// the summary line and in the JSON counts, and the exit status is 1.
func TestCheckMaxFailures(t *testing.T) {
	dead := "---\nservers:\n  default: smtp://127.0.0.1:1\n---\n```smtp timeout=1s\nC: EHLO x\n```\n"
	inTempCourse(t, map[string]string{"a.md": dead, "b.md": dead, "c.md": dead})
	st, out, errb := runCLI(t, nil, "", "check", "-j", "1", "--max-failures", "1", "--json", "labs")
	if st != exitFailed || lastLine(errb) != "0 passed, 3 failed: 1 failed, 2 labs not run (--max-failures)" {
		t.Errorf("exit %d, %q", st, lastLine(errb))
	}
	var r struct {
		Counts engine.Tally `json:"counts"`
		NotRun []string     `json:"not_run"`
	}
	json.NewDecoder(strings.NewReader(out)).Decode(&r)
	if r.Counts.NotRun != 2 || len(r.NotRun) != 2 {
		t.Errorf("JSON: %+v", r)
	}
}

// A file of the lab's web root is an input like a fixture: changing it
// runs the lab again instead of serving the old transcript from the cache
// (or the last build's page).
func TestWebRootChangeIsNotServedFromTheCache(t *testing.T) {
	dir := inTempCourse(t, map[string]string{
		"web.md":         "---\nweb_root: site\n---\n```http\nC: GET /notes.txt HTTP/1.1\nC: Host: www.example.com\nC: Connection: close\nC:\n```\n",
		"site/notes.txt": "first notes\n",
	})
	page := func() string {
		t.Helper()
		if st, _, e := runCLI(t, nil, "", "build", "--out", "out", "labs"); st != exitOK && st != exitFailed {
			t.Fatalf("build: %d %s", st, e)
		}
		data, _ := os.ReadFile(filepath.Join(dir, "out", "web.html"))
		return textOf(string(data))
	}
	if !strings.Contains(page(), "first notes") {
		t.Fatal("the page lacks the web root's file")
	}
	os.WriteFile(filepath.Join(dir, "labs", "site", "notes.txt"), []byte("second notes\n"), 0o644)
	if got := page(); !strings.Contains(got, "second notes") || strings.Contains(got, "first notes") {
		t.Errorf("after the web root changed the page still shows the old transcript")
	}
}
