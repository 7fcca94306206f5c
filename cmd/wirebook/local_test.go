package main

import (
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols/labserver"
	"github.com/wirebook/wirebook/protocols/labtls"
)

const loginLab = "# login\n\n```pop3\nC: USER ${user}\nC: PASS ${password}\nC: STAT\nC: QUIT\n```\n"

func startLabServer(t *testing.T) *labserver.Set {
	t.Helper()
	b, err := labtls.New()
	if err != nil {
		t.Fatal(err)
	}
	s, err := labserver.Start(labserver.Config{TLS: b})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestServerURLTakesAUserAndThePasswordFromTheEnvironment(t *testing.T) {
	inTempCourse(t, map[string]string{"login.md": loginLab})
	set := startLabServer(t)
	url := "pop3://alice@" + set.Addr("pop3")

	// No password anywhere: an error naming the variable, nothing sent.
	status, out, stderr := runCLI(t, nil, "", "run", "--server", url, "labs/login.md")
	if status == exitOK || !strings.Contains(out+stderr, "${password} is empty") || !strings.Contains(out+stderr, "WIREBOOK_PASSWORD") {
		t.Errorf("run without a password: %d\n%s%s", status, out, stderr)
	}
	if strings.Contains(out, "C: PASS") {
		t.Errorf("an empty PASS was sent:\n%s", out)
	}

	// The password from the environment; the bare URL stands for the
	// default server, NAME=URL for a named one.
	for _, arg := range []string{url, "default=" + url} {
		status, out, stderr = runCLI(t, map[string]string{"WIREBOOK_PASSWORD": "alice-pw", "NO_COLOR": "1"}, "", "run", "--server", arg, "labs/login.md")
		if status != exitOK || !strings.Contains(out, "USER alice") || !strings.Contains(out, "maildrop has") {
			t.Errorf("run --server %s with WIREBOOK_PASSWORD: %d\n%s%s", arg, status, out, stderr)
		}
		if strings.Contains(out+stderr, "alice-pw") {
			t.Errorf("the password was shown:\n%s%s", out, stderr)
		}
	}
	// The server's own variable wins over the general one.
	status, out, _ = runCLI(t, map[string]string{"WIREBOOK_PASSWORD": "wrong", "WIREBOOK_PASSWORD_DEFAULT": "alice-pw", "NO_COLOR": "1"}, "", "run", "--server", url, "labs/login.md")
	if status != exitOK || !strings.Contains(out, "maildrop has") {
		t.Errorf("WIREBOOK_PASSWORD_DEFAULT not used: %d\n%s", status, out)
	}

	// A password in the URL is refused, and not repeated.
	status, _, stderr = runCLI(t, nil, "", "run", "--server", "pop3://alice:hunter2@"+set.Addr("pop3"), "labs/login.md")
	if status != exitUsage || !strings.Contains(stderr, "a password in a URL would be shown") || !strings.Contains(stderr, "WIREBOOK_PASSWORD") || strings.Contains(stderr, "hunter2") {
		t.Errorf("password in the URL: %d %s", status, stderr)
	}
}

func TestServersLocalRunsAgainstTheRunningServers(t *testing.T) {
	inTempCourse(t, map[string]string{"login.md": loginLab})
	srv := startServers(t, nil, "--port-base", "0")
	// Mail only these servers have: --servers local must be talking to them.
	d := dialText(t, srv.addrs["smtp"])
	d.until("220 ")
	for _, l := range []string{"HELO x", "MAIL FROM:<bob@example.com>", "RCPT TO:<alice@example.com>"} {
		d.send(l)
		d.until("250 ")
	}
	d.send("DATA")
	d.until("354 ")
	d.send("Subject: for the local run\r\n\r\nhi\r\n.")
	d.until("250 ")

	status, out, stderr := runCLI(t, map[string]string{"NO_COLOR": "1"}, "", "run", "--servers", "local", "labs/login.md")
	if status != exitOK || !strings.Contains(out, "maildrop has") || !strings.Contains(out, "+OK 1 ") {
		t.Errorf("run --servers local: %d\n%s%s", status, out, stderr)
	}
	// Shown like the embedded servers, which they are.
	if !strings.Contains(out, "connected to mail.example.com (pop3, port 110)") {
		t.Errorf("run --servers local does not show the lab's server name:\n%s", out)
	}
	if status, _, stderr := runCLI(t, nil, "", "run", "--servers", "local", "--env", "real", "labs/login.md"); status != exitUsage || !strings.Contains(stderr, "choose one") {
		t.Errorf("--servers local with --env: %d %s", status, stderr)
	}
	if status, _, stderr := runCLI(t, nil, "", "run", "--servers", "remote", "labs/login.md"); status != exitUsage || !strings.Contains(stderr, "the only value is local") {
		t.Errorf("--servers remote: %d %s", status, stderr)
	}
	srv.stop(t)

	// A custom account: the password comes from WIREBOOK_PASSWORD, and its
	// absence is an error rather than an empty PASS.
	srv = startServers(t, map[string]string{"WIREBOOK_PASSWORD_CAROL": "c-pw"}, "--port-base", "0", "--user", "carol")
	defer srv.stop(t)
	status, out, stderr = runCLI(t, map[string]string{"NO_COLOR": "1"}, "", "run", "--servers", "local", "labs/login.md")
	if status == exitOK || !strings.Contains(out+stderr, "${password} is empty") {
		t.Errorf("run --servers local for carol without WIREBOOK_PASSWORD: %d\n%s%s", status, out, stderr)
	}
	status, out, stderr = runCLI(t, map[string]string{"NO_COLOR": "1", "WIREBOOK_PASSWORD": "c-pw"}, "", "run", "--servers", "local", "labs/login.md")
	if status != exitOK || !strings.Contains(out, "USER carol") || !strings.Contains(out, "maildrop has") || strings.Contains(out, "c-pw") {
		t.Errorf("run --servers local for carol: %d\n%s%s", status, out, stderr)
	}
}

func TestServersLocalGivesPythonBlocksTheServersNames(t *testing.T) {
	lab := "# py\n\n```pycon\n>>> import ssl, imaplib\n>>> c = imaplib.IMAP4_SSL(HOST, IMAPS_PORT, ssl_context=ssl.create_default_context(cafile=CA_FILE))\n>>> c.login(USER, PASSWORD)[0]\n>>> c.logout()[0]\n```\n"
	inTempCourse(t, map[string]string{"py.md": lab})
	srv := startServers(t, nil, "--port-base", "0")
	defer srv.stop(t)
	status, out, stderr := runCLI(t, map[string]string{"NO_COLOR": "1"}, "", "run", "--servers", "local", "labs/py.md")
	if status != exitOK || !strings.Contains(out, "'OK'") || !strings.Contains(out, "'BYE'") {
		t.Errorf("pycon against --servers local: %d\n%s%s", status, out, stderr)
	}
}
