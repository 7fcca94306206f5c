package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCLIAt runs wirebook with its clock stopped at now.
func runCLIAt(t *testing.T, now time.Time, env map[string]string, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, now: func() time.Time { return now },
		lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	status := run(args, e)
	return status, errb.String()
}

// readTree maps every file under dir to its content.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var (
	day1 = time.Date(2026, 12, 1, 20, 41, 7, 0, time.UTC)
	day2 = time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC)
)

// Two clean builds on different days with the same SOURCE_DATE_EPOCH are
// byte for byte the same, and show that date.
func TestSourceDateEpochMakesBuildsReproducible(t *testing.T) {
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000"} // 2023-11-14
	var sites []map[string]string
	for _, now := range []time.Time{day1, day2} {
		dir := inTempCourse(t, map[string]string{"small.md": smallLab, "pipe.md": pipelinedLab})
		if status, stderr := runCLIAt(t, now, env, "build", "--out", "out", "labs"); status != exitOK {
			t.Fatalf("build: exit %d\n%s", status, stderr)
		}
		sites = append(sites, readTree(t, filepath.Join(dir, "out")))
	}
	if len(sites[0]) < 3 {
		t.Fatalf("the build wrote %d files", len(sites[0]))
	}
	for name, a := range sites[0] {
		if b, ok := sites[1][name]; !ok || a != b {
			t.Errorf("%s differs between the two builds", name)
		}
	}
	if len(sites[0]) != len(sites[1]) {
		t.Errorf("the builds wrote %d and %d files", len(sites[0]), len(sites[1]))
	}
	if page := sites[0]["small.html"]; !strings.Contains(page, " on 2023-11-14") || strings.Contains(page, "2026-12-01") {
		t.Errorf("the page does not show SOURCE_DATE_EPOCH's date:\n%s", textOf(page))
	}
	if status, stderr := runCLIAt(t, day1, map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, "build", "--out", "out", "labs"); status != exitUsage || !strings.Contains(stderr, "SOURCE_DATE_EPOCH") {
		t.Errorf("a bad SOURCE_DATE_EPOCH: exit %d\n%s", status, stderr)
	}
}

// Without SOURCE_DATE_EPOCH a page shows when its transcript was captured,
// kept in the cache, not the day of the build.
func TestPageShowsCaptureDate(t *testing.T) {
	dir := inTempCourse(t, map[string]string{"small.md": smallLab})
	page := func() string {
		data, _ := os.ReadFile(filepath.Join(dir, "out", "small.html"))
		return string(data)
	}
	runCLIAt(t, day1, nil, "build", "--out", "out", "labs")
	if !strings.Contains(page(), " on 2026-12-01") {
		t.Fatalf("first build does not show its capture date:\n%s", textOf(page()))
	}
	runCLIAt(t, day2, nil, "build", "--out", "out", "labs")
	if p := page(); !strings.Contains(p, " on 2026-12-01") || strings.Contains(p, "2027-01-15") {
		t.Errorf("a build from the cache shows the build day, not the capture day:\n%s", textOf(p))
	}
	runCLIAt(t, day2, nil, "build", "--refresh", "--out", "out", "labs")
	if !strings.Contains(page(), " on 2027-01-15") {
		t.Errorf("a refreshed build does not show the new capture date:\n%s", textOf(page()))
	}
}
