package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/engine"
)

func TestServersTwoStartsGiveTheSamePorts(t *testing.T) {
	inTempCourse(t, nil)
	// Not the default base, which may be in use on this machine: a high
	// base of its own, moved on if something holds one of its ports.
	base := 21000 + int(time.Now().UnixNano()/1000%9000)
	var first, second *runningServers
	for try := 0; try < 5 && first == nil; try++ {
		first, _, _ = tryStartServers(t, nil, "--port-base", strconv.Itoa(base))
		if first == nil {
			base = 21000 + (base-21000+1777)%9000
		}
	}
	if first == nil {
		t.Fatal("no free port base found")
	}
	first.stop(t)
	second = startServers(t, nil, "--port-base", strconv.Itoa(base))
	second.stop(t)
	want := map[string]int{"smtp": 25, "smtps": 465, "submission": 587, "pop3": 110, "pop3s": 995, "imap": 143, "imaps": 993, "http": 80, "https": 443}
	for svc, std := range want {
		if got := first.addrs[svc]; got != "127.0.0.1:"+strconv.Itoa(base+std) {
			t.Errorf("first start: %s at %q, want port %d", svc, got, base+std)
		}
		if first.addrs[svc] != second.addrs[svc] {
			t.Errorf("%s moved from %s to %s between starts", svc, first.addrs[svc], second.addrs[svc])
		}
	}
	if !strings.Contains(first.out, "export WIREBOOK_SMTP_PORT="+strconv.Itoa(base+25)) ||
		!strings.Contains(first.out, "IMAPS_PORT = "+strconv.Itoa(base+993)) ||
		!strings.Contains(first.out, "export WIREBOOK_PASSWORD=alice-pw") {
		t.Errorf("servers printed no shell and Python lines for the ports:\n%s", first.out)
	}
}

func TestServersDefaultPortsAreTheDocumentedOnes(t *testing.T) {
	inTempCourse(t, nil)
	// Resolved, not bound: the defaults may be in use on this machine.
	setup, err := resolveLabSetup(&serversFlags{}, newFlagSet(&cliEnv{stderr: os.Stderr}, "servers", "", "").FlagSet, loadLabServersOrFail(t))
	if err != nil {
		t.Fatal(err)
	}
	for svc, want := range map[string]int{"smtp": 20025, "submission": 20587, "imaps": 20993, "https": 20443} {
		if setup.Ports[svc] != want {
			t.Errorf("default %s port %d, want %d", svc, setup.Ports[svc], want)
		}
	}
}

func loadLabServersOrFail(t *testing.T) engine.LabServers {
	t.Helper()
	ls, err := loadLabServers("")
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestServersStoreKeepsMailAcrossRestart(t *testing.T) {
	dir := inTempCourse(t, nil)
	store := filepath.Join(dir, "mail")
	srv := startServers(t, nil, "--port-base", "0", "--store", store)
	if !strings.Contains(srv.out, "mail: kept in "+store) {
		t.Errorf("servers do not say where the mail is kept:\n%s", srv.out)
	}
	d := dialText(t, srv.addrs["smtp"])
	d.until("220 ")
	for _, l := range []string{"EHLO client.example", "MAIL FROM:<alice@example.com>", "RCPT TO:<bob@example.com>", "DATA"} {
		d.send(l)
		d.until(map[bool]string{true: "354 ", false: "250 "}[l == "DATA"])
	}
	d.send("Subject: before the restart\r\n\r\nstill here?\r\n.")
	d.until("250 ")
	d.send("QUIT")
	d.until("221 ")
	srv.stop(t)

	srv = startServers(t, nil, "--port-base", "0", "--store", store)
	defer srv.stop(t)
	// A second servers on the same store would fight over its UIDs.
	if status, _, stderr := runCLI(t, nil, "", "servers", "--port-base", "0", "--store", store); status != exitFailed || !strings.Contains(stderr, "the store is in use") {
		t.Errorf("second servers on one store: %d %s", status, stderr)
	}
	p := dialText(t, srv.addrs["pop3"])
	p.until("+OK")
	p.send("USER bob")
	p.until("+OK")
	p.send("PASS bob-pw")
	p.until("+OK")
	p.send("RETR 1")
	if msg := p.until("."); !strings.Contains(msg, "Subject: before the restart") || !strings.Contains(msg, "still here?") {
		t.Errorf("after the restart RETR 1 = %q", msg)
	}
	p.send("QUIT")
	p.until("+OK")
	i := dialText(t, srv.addrs["imap"])
	i.until("* OK")
	i.send("a LOGIN bob bob-pw")
	i.until("a OK")
	i.send("b STATUS INBOX (MESSAGES)")
	if got := i.until("b "); !strings.Contains(got, "(MESSAGES 1)") {
		t.Errorf("after the restart IMAP STATUS = %q", got)
	}
}

func TestServersCustomAccountOverSMTPPOP3AndIMAP(t *testing.T) {
	inTempCourse(t, nil)
	env := map[string]string{"WIREBOOK_PASSWORD_CAROL": "c4rol-s3cret"}
	srv := startServers(t, env, "--port-base", "0", "--user", "carol", "--domain", "lab.test")
	defer srv.stop(t)
	if strings.Contains(srv.out, "c4rol-s3cret") {
		t.Errorf("servers printed carol's password:\n%s", srv.out)
	}
	if !strings.Contains(srv.out, "carol@lab.test (password from $WIREBOOK_PASSWORD_CAROL)") {
		t.Errorf("servers do not name carol's account:\n%s", srv.out)
	}
	script := `
import os, sys, ssl, smtplib, poplib, imaplib
sub, pop, imaps, ca = sys.argv[1:5]
pw = os.environ["PW"]
ctx = ssl.create_default_context(cafile=ca)
h, p = sub.rsplit(':', 1)
s = smtplib.SMTP(h, int(p)); s.starttls(context=ctx); s.login("carol", pw)
s.sendmail("carol@lab.test", ["carol@lab.test"], "Subject: to myself\r\n\r\nhello carol\r\n"); s.quit()
h, p = pop.rsplit(':', 1)
m = poplib.POP3(h, int(p)); m.user("carol"); m.pass_(pw)
print("POP3", m.stat()[0], b"hello carol" in b"\n".join(m.retr(1)[1])); m.quit()
h, p = imaps.rsplit(':', 1)
c = imaplib.IMAP4_SSL(h, int(p), ssl_context=ctx); c.login("carol@lab.test", pw)
print("IMAP", c.select("INBOX")[1][0].decode())
try:
    imaplib.IMAP4_SSL(h, int(p), ssl_context=ctx).login("alice", "alice-pw"); print("alice still logs in")
except imaplib.IMAP4.error:
    print("alice refused")
`
	cmd := exec.Command("python3", "-c", script, srv.addrs["submission"], srv.addrs["pop3"], srv.addrs["imaps"], srv.ca)
	cmd.Env = append(os.Environ(), "PW=c4rol-s3cret")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if got := string(out); !strings.Contains(got, "POP3 1 True") || !strings.Contains(got, "IMAP 1") || !strings.Contains(got, "alice refused") {
		t.Errorf("carol's account:\n%s", got)
	}
}

func TestServersWithoutAPasswordForAUserRefuseToStart(t *testing.T) {
	inTempCourse(t, nil)
	status, _, stderr := runCLI(t, nil, "", "servers", "--port-base", "0", "--user", "carol")
	if status != exitUsage || !strings.Contains(stderr, "WIREBOOK_PASSWORD_CAROL") {
		t.Errorf("servers --user without its password: %d %s", status, stderr)
	}
}

func TestServersAccountsFile(t *testing.T) {
	dir := inTempCourse(t, nil)
	file := filepath.Join(dir, "accounts")
	os.WriteFile(file, []byte("# the class\ndave:d-pw\nerin:e-pw\n"), 0o600)
	srv := startServers(t, nil, "--port-base", "0", "--accounts", file)
	defer srv.stop(t)
	if strings.Contains(srv.out, "d-pw") || !strings.Contains(srv.out, "dave@example.com (password from "+file+")") {
		t.Errorf("servers output for an accounts file:\n%s", srv.out)
	}
	p := dialText(t, srv.addrs["pop3"])
	p.until("+OK")
	p.send("USER erin")
	p.until("+OK")
	p.send("PASS e-pw")
	if got := p.line(); !strings.HasPrefix(got, "+OK") {
		t.Errorf("erin's login: %q", got)
	}
	os.WriteFile(file, []byte("dave\n"), 0o600)
	if status, _, stderr := runCLI(t, nil, "", "servers", "--port-base", "0", "--accounts", file); status != exitUsage || !strings.Contains(stderr, file+":1: want name:password") {
		t.Errorf("bad accounts file: %d %s", status, stderr)
	}
}

func TestServersTakenPortNamesTheServiceAndPort(t *testing.T) {
	inTempCourse(t, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	status, _, stderr := runCLI(t, nil, "", "servers", "--port-base", "0", "--port", "imap="+port)
	if status != exitFailed || !strings.Contains(stderr, "imap cannot listen on 127.0.0.1:"+port) ||
		!strings.Contains(stderr, "address already in use") || !strings.Contains(stderr, "--port imap=PORT") {
		t.Errorf("taken port: %d %s", status, stderr)
	}
	// The services started before imap were stopped again.
	if _, ok := readServersState(); ok {
		t.Error("a failed start left a servers state file")
	}
}

func TestServersFromTheCourseFile(t *testing.T) {
	dir := inTempCourse(t, nil)
	os.WriteFile(filepath.Join(dir, "wirebook.yaml"), []byte("lab_servers:\n  port_base: 0\n  domain: course.test\n  store: mail\n  users:\n    - name: frank\n      password: ${FRANK_PW}\n"), 0o644)
	srv := startServers(t, map[string]string{"FRANK_PW": "f-pw"})
	defer srv.stop(t)
	if !strings.Contains(srv.out, "frank@course.test (password from $FRANK_PW)") || !strings.Contains(srv.out, "mail: kept in "+filepath.Join(dir, "mail")) {
		t.Errorf("servers from wirebook.yaml:\n%s", srv.out)
	}
	if !strings.Contains(srv.out, `export WIREBOOK_PASSWORD="$FRANK_PW"`) {
		t.Errorf("shell lines do not take the password from its variable:\n%s", srv.out)
	}
	os.WriteFile(filepath.Join(dir, "wirebook.yaml"), []byte("lab_servers:\n  ports:\n    smtpx: 1\n"), 0o644)
	if status, _, stderr := runCLI(t, nil, "", "servers"); status != exitFailed || !strings.Contains(stderr, `unknown service "smtpx"`) {
		t.Errorf("bad lab_servers: %d %s", status, stderr)
	}
}
