package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// execLab sends mail from Python to Bob, reads it in an IMAP session,
// stores a flag there and reads that back from Python: the blocks share
// the lab's servers in document order.
const execLab = "---\ntitle: Exec\n---\n# Exec\n\n" +
	"```pycon\n>>> import smtplib\n>>> with smtplib.SMTP(HOST, SMTP_PORT) as s:\n...     s.sendmail('alice@example.com', ['bob@example.com'], 'Subject: from python\\r\\n\\r\\nhi\\r\\n')\n...\n{}\n```\n\n" +
	"```imap\nC: a LOGIN bob bob-pw\nC: b SELECT INBOX\nC: c FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])\nC: d STORE 1 +FLAGS (\\Flagged)\nC: e LOGOUT\n```\n\n" +
	"```pycon\n>>> import imaplib\n>>> c = imaplib.IMAP4(HOST, IMAP_PORT)\n>>> c.login('bob', 'bob-pw')[0]\n'OK'\n>>> c.select()\n('OK', [b'1'])\n>>> c.fetch('1', '(FLAGS)')\n>>> c.logout()[0]\n'BYE'\n```\n\n" +
	"```console\n$ curl -s http://$WIREBOOK_HOST:$WIREBOOK_HTTP_PORT/hello.txt\n```\n"

func TestExecBlocksCheckAndUpdate(t *testing.T) {
	dir := inTempCourse(t, map[string]string{"exec.md": execLab})
	lab := filepath.Join(dir, "labs", "exec.md")
	if status, _, stderr := runCLI(t, nil, "", "update", "labs"); status != exitOK {
		t.Fatalf("update: exit %d %s", status, stderr)
	}
	recorded, _ := os.ReadFile(lab)
	for _, want := range []string{"S: Subject: from python",
		">>> c.fetch('1', '(FLAGS)')\n('OK', [b'1 (FLAGS (\\\\Flagged \\\\Seen))'])\n", "$ curl -s http://$WIREBOOK_HOST:$WIREBOOK_HTTP_PORT/hello.txt\nhello from the wirebook lab server\n"} {
		if !strings.Contains(string(recorded), want) {
			t.Errorf("update wrote no %q:\n%s", want, recorded)
		}
	}
	status, out, _ := runCLI(t, nil, "", "check", "labs")
	if status != exitOK || !strings.HasSuffix(out, "4 passed, 0 failed\n") {
		t.Fatalf("check after update: exit %d\n%s", status, out)
	}
	edited := strings.Replace(string(recorded), "'OK'\n", "'NO'\n", 1)
	os.WriteFile(lab, []byte(edited), 0o644)
	lineNo := 1 + strings.Count(edited[:strings.Index(edited, "'NO'\n")], "\n")
	status, out, _ = runCLI(t, nil, "", "check", "labs")
	want := "labs/exec.md:" + itoa(lineNo) + ": pycon block 3 differs"
	if status != exitFailed || !strings.Contains(out, want) || !strings.Contains(out, "the output of `>>> c.login('bob', 'bob-pw')[0]` changed `'NO'` to `'OK'`") {
		t.Fatalf("check after an edit: exit %d, want %q in\n%s", status, want, out)
	}
	if status, _, stderr := runCLI(t, nil, "", "update", "labs"); status != exitOK {
		t.Fatalf("update: exit %d %s", status, stderr)
	}
	if again, _ := os.ReadFile(lab); string(again) != string(recorded) {
		t.Errorf("update did not restore the lab byte for byte:\n%s", again)
	}
	// An endless loop is stopped at its own line.
	loop := strings.Replace(string(recorded), ">>> c.logout()[0]\n", ">>> while True:\n...     pass\n>>> c.logout()[0]\n", 1)
	loop = strings.Replace(loop, "```pycon\n>>> import imaplib", "```pycon timeout=1s\n>>> import imaplib", 1)
	os.WriteFile(lab, []byte(loop), 0o644)
	loopLine := 1 + strings.Count(loop[:strings.Index(loop, ">>> while True:")], "\n")
	status, out, _ = runCLI(t, nil, "", "check", "labs")
	if want := "labs/exec.md:" + itoa(loopLine) + ": pycon block 3 failed against the embedded lab server"; status != exitFailed || !strings.Contains(out, want) || !strings.Contains(out, "still running after 1s") {
		t.Errorf("check of an endless loop: exit %d, want %q in\n%s", status, want, out)
	}
	os.WriteFile(lab, recorded, 0o644)
	// The page: statements, output, the Python version, the names.
	if status, _, stderr := runCLI(t, nil, "", "build", "--out", "site", "labs"); status != exitOK {
		t.Fatalf("build: exit %d %s", status, stderr)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "site", "exec.html"))
	for _, want := range []string{`data-p="&gt;&gt;&gt; "`, "verified against the embedded lab server (Python 3.", "The names this code uses", "SUBMISSION_PORT"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// --no-exec needs no interpreter and says the code did not run; a lab
	// the cache has fresh is shown from it (the code ran when it was
	// cached: this process still knows python3's version, so the key
	// matches).
	t.Setenv("PATH", t.TempDir())
	if status, _, stderr := runCLI(t, nil, "", "build", "--no-exec", "--out", "site2", "labs"); status != exitOK {
		t.Fatalf("build --no-exec: exit %d %s", status, stderr)
	}
	page, _ = os.ReadFile(filepath.Join(dir, "site2", "exec.html"))
	if !strings.Contains(string(page), "verified against the embedded lab server (Python 3.") || strings.Contains(string(page), "not run") {
		t.Errorf("--no-exec page from the cache:\n%s", textOf(string(page)))
	}
	if status, _, stderr := runCLI(t, nil, "", "build", "--no-exec", "--no-cache", "--out", "site3", "labs"); status != exitOK {
		t.Fatalf("build --no-exec --no-cache: exit %d %s", status, stderr)
	}
	page, _ = os.ReadFile(filepath.Join(dir, "site3", "exec.html"))
	if !strings.Contains(string(page), "not run: output as written in the lab") || !strings.Contains(textOf(string(page)), "hello from the wirebook lab server") {
		t.Errorf("--no-exec page:\n%s", textOf(string(page)))
	}
}

// noExecLab has a pycon block whose written output is wrong, a session
// and a console block: --no-exec must neither pass nor rewrite the code.
const noExecLab = "# No exec\n\n```pycon\n>>> 1 + 1\n3\n```\n\n```smtp\nC: EHLO client.example\nC: QUIT\n```\n\n```console\n$ echo hi\n```\n"

func TestNoExecCheckAndUpdate(t *testing.T) {
	dir := inTempCourse(t, map[string]string{"x.md": noExecLab})
	lab := filepath.Join(dir, "labs", "x.md")
	path := os.Getenv("PATH")
	t.Setenv("PATH", t.TempDir()) // no python3, no bash: nothing may need them
	if status, _, stderr := runCLI(t, nil, "", "update", "--no-exec", "labs"); status != exitOK {
		t.Fatalf("update --no-exec: exit %d %s", status, stderr)
	}
	got, _ := os.ReadFile(lab)
	if !strings.Contains(string(got), "S: 221 ") {
		t.Errorf("update --no-exec did not write the session:\n%s", got)
	}
	if rest := string(got)[strings.Index(string(got), "```console"):]; !strings.HasPrefix(string(got), "# No exec\n\n```pycon\n>>> 1 + 1\n3\n```\n") || rest != "```console\n$ echo hi\n```\n" {
		t.Errorf("update --no-exec changed an executable block:\n%s", got)
	}
	consoleLine := 1 + strings.Count(string(got)[:strings.Index(string(got), "```console")], "\n")
	status, out, _ := runCLI(t, nil, "", "check", "--no-exec", "labs")
	for _, want := range []string{"labs/x.md:3: pycon block 1 not run (--no-exec)", "labs/x.md:" + itoa(consoleLine) + ": console block 3 not run (--no-exec)", "1 passed, 2 failed: 1 verified, 2 not run (offline)\n"} {
		if status != exitFailed || !strings.Contains(out, want) {
			t.Errorf("check --no-exec: exit %d, want %q in\n%s", status, want, out)
		}
	}
	_, out, _ = runCLI(t, nil, "", "check", "--no-exec", "--json", "labs")
	if !strings.Contains(out, `"protocol": "pycon",
      "status": "offline",
      "passed": false`) {
		t.Errorf("check --no-exec --json:\n%s", out)
	}
	// The wrong output was never compared: a real check finds it.
	t.Setenv("PATH", path)
	status, out, _ = runCLI(t, nil, "", "check", "labs")
	if status != exitFailed || !strings.Contains(out, "labs/x.md:5: pycon block 1 differs") {
		t.Errorf("check: exit %d\n%s", status, out)
	}
}
