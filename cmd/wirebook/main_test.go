package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCLI runs wirebook in-process in dir with the given environment.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &cliEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, lookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}}
	status = run(args, e)
	return status, out.String(), errb.String()
}

// inTempCourse makes a temporary working directory holding a labs/ folder
// with the given files, and a private cache directory for the lab CA.
func inTempCourse(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "xdg-cache"))
	t.Chdir(dir)
	for name, content := range files {
		p := filepath.Join(dir, "labs", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// copyCourse copies the repository's labs/ into a temporary course.
func copyCourse(t *testing.T) string {
	t.Helper()
	files := map[string]string{}
	src, err := filepath.Abs("../../labs")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(src, p)
		files[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return inTempCourse(t, files)
}

func TestBuildTheCourseShowsRealTranscripts(t *testing.T) {
	dir := copyCourse(t)
	status, _, stderr := runCLI(t, nil, "", "build", "--out", "out", "labs")
	if status != exitOK {
		t.Fatalf("build exit %d:\n%s", status, stderr)
	}
	index, err := os.ReadFile(filepath.Join(dir, "out", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "out", "*.html"))
	if len(pages) < 3 {
		t.Fatalf("only %d pages built", len(pages))
	}
	var all strings.Builder
	for _, p := range pages {
		data, _ := os.ReadFile(p)
		all.Write(data)
		if !bytes.Contains(index, []byte(filepath.Base(p))) && filepath.Base(p) != "index.html" {
			t.Errorf("index does not link %s", filepath.Base(p))
		}
		if bytes.Contains(data, []byte("http://")) && bytes.Contains(data, []byte("<link")) && bytes.Contains(data, []byte(`href="http`)) {
			t.Errorf("%s links an external resource", p)
		}
	}
	html := textOf(all.String())
	for _, want := range []string{"220 mail.example.com ESMTP", "250-PIPELINING", "550 5.1.1"} {
		if !strings.Contains(html, want) {
			t.Errorf("built pages lack the real server line %q", want)
		}
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	dir := copyCourse(t)
	read := func(out string) map[string]string {
		got := map[string]string{}
		filepath.WalkDir(filepath.Join(dir, out), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				data, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(filepath.Join(dir, out), p)
				got[rel] = string(data)
			}
			return nil
		})
		return got
	}
	if st, _, e := runCLI(t, nil, "", "build", "--no-cache", "--out", "a", "labs"); st != exitOK {
		t.Fatalf("first build: %d %s", st, e)
	}
	if st, _, e := runCLI(t, nil, "", "build", "--no-cache", "--out", "b", "labs"); st != exitOK {
		t.Fatalf("second build: %d %s", st, e)
	}
	a, b := read("a"), read("b")
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("builds wrote %d and %d files", len(a), len(b))
	}
	for name, content := range a {
		if b[name] != content {
			t.Errorf("%s differs between two builds", name)
		}
	}
}

const smallLab = "---\ntitle: Small\n---\n# Small\n\n```smtp\nC: EHLO client.example\nC: QUIT\n```\n"

func TestLabErrorsAreReportedAndOtherLabsStillBuilt(t *testing.T) {
	dir := inTempCourse(t, map[string]string{
		"good.md": smallLab,
		"bad.md":  "# Bad\n\n```smtp colour=red\nC: EHLO x\n```\n",
	})
	status, _, stderr := runCLI(t, nil, "", "build", "--out", "out", "labs")
	if status != exitUsage {
		t.Errorf("exit = %d, want %d for a lab-format error", status, exitUsage)
	}
	if !strings.Contains(stderr, "labs/bad.md:3: unknown attribute \"colour\"") {
		t.Errorf("stderr lacks file:line: %s", stderr)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "out", "good.html")); err != nil || !strings.Contains(textOf(string(data)), "220 mail.example.com") {
		t.Errorf("the good lab was not built: %v", err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "out", "bad.html")); err != nil || !strings.Contains(string(data), "unknown attribute") {
		t.Errorf("the bad lab's page does not show its error: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "out", ".*tmp*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestCheckAndUpdateRoundTrip(t *testing.T) {
	dir := inTempCourse(t, map[string]string{"small.md": smallLab})
	lab := filepath.Join(dir, "labs", "small.md")
	// A lab with only C: lines has nothing to check yet.
	status, out, _ := runCLI(t, nil, "", "check", "labs")
	if status != exitFailed || !strings.Contains(out, "no S: lines") || !strings.Contains(out, "0 passed, 1 failed") {
		t.Fatalf("check of an unrecorded lab: exit %d\n%s", status, out)
	}
	// update refuses under CI unless forced.
	if status, _, stderr := runCLI(t, map[string]string{"CI": "true"}, "", "update", "labs"); status == exitOK || !strings.Contains(stderr, "CI is set") {
		t.Errorf("update under CI: exit %d %s", status, stderr)
	}
	if status, _, stderr := runCLI(t, nil, "", "update", "labs"); status != exitOK {
		t.Fatalf("update: exit %d %s", status, stderr)
	}
	recorded, _ := os.ReadFile(lab)
	if !strings.Contains(string(recorded), "S: 220 mail.example.com ESMTP") || !strings.HasPrefix(string(recorded), "---\ntitle: Small\n---\n# Small\n\n```smtp\n") {
		t.Fatalf("update wrote:\n%s", recorded)
	}
	status, out, _ = runCLI(t, nil, "", "check", "labs")
	if status != exitOK || !strings.HasSuffix(out, "1 passed, 0 failed\n") {
		t.Fatalf("check after update: exit %d\n%s", status, out)
	}
	// Edit one S: line by hand: check names the file and line.
	edited := strings.Replace(string(recorded), "S: 221 2.0.0 Bye", "S: 221 2.0.0 See you", 1)
	os.WriteFile(lab, []byte(edited), 0o644)
	lineNo := 1 + strings.Count(edited[:strings.Index(edited, "S: 221 2.0.0 See you")], "\n")
	status, out, _ = runCLI(t, nil, "", "check", "labs")
	want := "labs/small.md:" + itoa(lineNo) + ": smtp block 1 differs"
	if status != exitFailed || !strings.Contains(out, want) || !strings.Contains(out, "changed `221 2.0.0 See you` to `221 2.0.0 Bye`") {
		t.Fatalf("check after an edit: exit %d, want %q in\n%s", status, want, out)
	}
	// JUnit and JSON reports.
	runCLI(t, nil, "", "check", "--junit", "report.xml", "labs")
	if x, err := os.ReadFile(filepath.Join(dir, "report.xml")); err != nil || !strings.Contains(string(x), `failures="1"`) {
		t.Errorf("junit report: %v %s", err, x)
	}
	if _, out, errOut := runCLI(t, nil, "", "check", "--json", "labs"); !strings.Contains(out, `"status": "mismatch"`) {
		t.Errorf("json report: %s", out)
	} else {
		// stdout is one JSON document and nothing else; the summary goes to stderr.
		dec := json.NewDecoder(strings.NewReader(out))
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			t.Errorf("json report does not decode: %v", err)
		} else if err := dec.Decode(new(any)); err != io.EOF {
			t.Errorf("json report is followed by more on stdout (%v): %s", err, out)
		}
		if !strings.Contains(errOut, "0 passed, 1 failed") {
			t.Errorf("check --json: the summary line is not on stderr: %q", errOut)
		}
	}
	// update puts it back, changing no other byte.
	if status, out, _ := runCLI(t, nil, "", "update", "--dry-run", "labs"); status != exitOK || !strings.Contains(out, "-S: 221 2.0.0 See you") {
		t.Errorf("dry run: %d %s", status, out)
	}
	if now, _ := os.ReadFile(lab); string(now) != edited {
		t.Errorf("--dry-run wrote the lab")
	}
	runCLI(t, nil, "", "update", "labs")
	if again, _ := os.ReadFile(lab); string(again) != string(recorded) {
		t.Errorf("update did not restore the lab byte for byte:\n%s", again)
	}
}

func TestInteractiveUpdate(t *testing.T) {
	dir := inTempCourse(t, map[string]string{"small.md": smallLab})
	lab := filepath.Join(dir, "labs", "small.md")
	if status, _, _ := runCLI(t, nil, "n\n", "update", "-i", "labs"); status != exitOK {
		t.Fatalf("update -i exit %d", status)
	}
	if now, _ := os.ReadFile(lab); string(now) != smallLab {
		t.Errorf("a rejected change was written")
	}
	runCLI(t, nil, "y\n", "update", "-i", "labs")
	if now, _ := os.ReadFile(lab); !strings.Contains(string(now), "S: 221") {
		t.Errorf("an accepted change was not written")
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	const pw = "alice-pw"
	dir := inTempCourse(t, map[string]string{"login.md": "# Login\n\n" +
		"```smtp\nC: EHLO client.example\nC: STARTTLS\nC: EHLO client.example\nC: AUTH PLAIN ${base64:\\0alice\\0${ALICE_PASSWORD}}\nC: QUIT\n```\n\n" +
		"```smtp\nC: EHLO client.example\nC: STARTTLS\nC: EHLO client.example\nC: AUTH LOGIN\nC: ${base64:alice}\nC: ${base64:${ALICE_PASSWORD}}\nC: QUIT\n```\n"})
	env := map[string]string{"ALICE_PASSWORD": pw}
	_, runOut, runErr := runCLI(t, env, "", "run", "labs/login.md")
	if !strings.Contains(runOut, "235 ") {
		t.Fatalf("login failed:\n%s\n%s", runOut, runErr)
	}
	_, buildOut, buildErr := runCLI(t, env, "", "build", "--out", "out", "labs")
	runCLI(t, map[string]string{"ALICE_PASSWORD": pw}, "", "update", "labs")
	_, checkOut, checkErr := runCLI(t, env, "", "check", "labs")
	forms := []string{pw, base64.StdEncoding.EncodeToString([]byte(pw)), base64.StdEncoding.EncodeToString([]byte("\x00alice\x00" + pw))}
	texts := map[string]string{"run": runOut + runErr, "build": buildOut + buildErr, "check": checkOut + checkErr}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, "xdg-cache") {
			data, _ := os.ReadFile(p)
			texts[p] = string(data)
		}
		return nil
	})
	for where, text := range texts {
		for _, f := range forms {
			if strings.Contains(text, f) {
				t.Errorf("%s contains the password as %q", where, f)
			}
		}
	}
	if !strings.Contains(runOut, "AUTH PLAIN ********") {
		t.Errorf("masked AUTH line missing from run output")
	}
}

func TestRunNeutralisesControlCharacters(t *testing.T) {
	inTempCourse(t, map[string]string{"x.md": "```http\nC: GET /_lab/echo?x=%1b[31m HTTP/1.1\nC: Host: www.example.com\nC: X-Evil: a\x1b[2Jb\nC: Connection: close\nC:\n```\n"})
	_, out, _ := runCLI(t, map[string]string{"NO_COLOR": "1"}, "", "run", "labs/x.md")
	if strings.ContainsRune(out, 0x1b) {
		t.Errorf("run printed a raw ESC:\n%q", out)
	}
}

func TestUsageAndHelp(t *testing.T) {
	if status, _, _ := runCLI(t, nil, "", "frobnicate"); status != exitUsage {
		t.Errorf("unknown command exit %d", status)
	}
	for _, cmd := range []string{"build", "run", "check", "update", "servers", "serve", "new"} {
		status, out, _ := runCLI(t, nil, "", cmd, "--help")
		if status != exitOK || !strings.Contains(out, "Usage: wirebook "+cmd) {
			t.Errorf("%s --help: exit %d\n%s", cmd, status, out)
		}
	}
	if status, _, _ := runCLI(t, nil, "", "build", "--no-such-flag"); status != exitUsage {
		t.Errorf("bad flag exit %d", status)
	}
	if status, _, stderr := runCLI(t, nil, "", "run", "--server", "nourl", "x.md"); status != exitUsage || !strings.Contains(stderr, "NAME=URL") {
		t.Errorf("bad --server: %d %s", status, stderr)
	}
}

func TestNewScaffoldBuildsAtOnce(t *testing.T) {
	dir := inTempCourse(t, nil)
	if status, _, e := runCLI(t, nil, "", "new", "course"); status != exitOK {
		t.Fatalf("new: %d %s", status, e)
	}
	t.Chdir(filepath.Join(dir, "course"))
	if status, _, e := runCLI(t, nil, "", "build"); status != exitOK {
		t.Fatalf("building the new course: %d %s", status, e)
	}
	if _, err := os.Stat(filepath.Join(dir, "course", "public", "first-lab.html")); err != nil {
		t.Error(err)
	}
	if status, _, _ := runCLI(t, nil, "", "new", filepath.Join(dir, "course")); status != exitUsage {
		t.Errorf("new over an existing course: exit %d", status)
	}
}

func TestServeRebuildsOnSave(t *testing.T) {
	dir := inTempCourse(t, map[string]string{"small.md": smallLab})
	var out, errb syncBuffer
	e := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	p := &preview{env: e, paths: []string{"labs"}, out: filepath.Join(dir, "serve")}
	common := commonFlags{jobs: 2}
	eng, err := common.engine(e, newEmbeddedProvider(), engineOptionsForServe())
	if err != nil {
		t.Fatal(err)
	}
	p.eng = eng
	p.rebuild()
	srv := httptestServer(t, p.handler())
	get := func(path string) string {
		resp, err := http.Get(srv + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if page := get("/small.html"); !strings.Contains(page, "_wirebook/version") {
		t.Errorf("served page has no live-reload hook")
	}
	v1 := get("/_wirebook/version")
	ctx, cancel := contextWithCancel()
	done := make(chan struct{})
	go func() { p.watch(ctx, 20*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	os.WriteFile(filepath.Join(dir, "labs", "small.md"), []byte(strings.Replace(smallLab, "# Small", "# Smaller and newer", 1)), 0o644)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if get("/_wirebook/version") != v1 && strings.Contains(get("/small.html"), "Smaller and newer") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("the page did not change after the lab was saved")
}

func itoa(n int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n)) }

func TestRunCompareAndStep(t *testing.T) {
	dir := inTempCourse(t, map[string]string{"small.md": smallLab})
	runCLI(t, nil, "", "update", "labs")
	lab := filepath.Join(dir, "labs", "small.md")
	data, _ := os.ReadFile(lab)
	os.WriteFile(lab, []byte(strings.Replace(string(data), "S: 250-PIPELINING\n", "S: 250-PIPELINING\nS: 250-SMTPUTF8\n", 1)), 0o644)
	status, out, _ := runCLI(t, nil, "", "run", "--compare", "labs/small.md")
	if status != exitOK {
		t.Errorf("run --compare exit %d", status)
	}
	if !strings.Contains(out, "< S: 250-SMTPUTF8") || !strings.Contains(out, "your server's reply to `EHLO client.example` lost `250-SMTPUTF8`") {
		t.Errorf("run --compare output:\n%s", out)
	}
	// --step waits for Enter before each exchange: two client lines, two prompts.
	status, out, stderr := runCLI(t, nil, "\n\n", "run", "--step", "labs/small.md")
	if status != exitOK || strings.Count(stderr, "[Enter] to send") != 2 || !strings.Contains(out, "C: QUIT") {
		t.Errorf("run --step: exit %d\nstdout:\n%s\nstderr:\n%s", status, out, stderr)
	}
}

func TestLabWebRootAndFixtures(t *testing.T) {
	dir := inTempCourse(t, map[string]string{
		"web.md":         "---\nweb_root: site\nfixtures:\n  - user: alice\n    file: hello.eml\n---\n```http\nC: GET /notes.txt HTTP/1.1\nC: Host: www.example.com\nC: Connection: close\nC:\n```\n\n```pop3\nC: USER alice\nC: PASS ${password}\nC: RETR 1\nC: QUIT\n```\n",
		"site/notes.txt": "lab-specific notes\n",
		"hello.eml":      "Subject: seeded message\n\nfrom a fixture\n",
	})
	_ = dir
	status, out, stderr := runCLI(t, map[string]string{"NO_COLOR": "1"}, "", "run", "labs/web.md")
	if status != exitOK {
		t.Fatalf("run: %d %s", status, stderr)
	}
	for _, want := range []string{"S: lab-specific notes", "S: Subject: seeded message", "S: from a fixture"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
