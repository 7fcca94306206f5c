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
	// --no-exec needs no interpreter and says the code did not run.
	t.Setenv("PATH", t.TempDir())
	if status, _, stderr := runCLI(t, nil, "", "build", "--no-exec", "--out", "site2", "labs"); status != exitOK {
		t.Fatalf("build --no-exec: exit %d %s", status, stderr)
	}
	page, _ = os.ReadFile(filepath.Join(dir, "site2", "exec.html"))
	if !strings.Contains(string(page), "not run: output as written in the lab") || !strings.Contains(textOf(string(page)), "hello from the wirebook lab server") {
		t.Errorf("--no-exec page:\n%s", textOf(string(page)))
	}
}
