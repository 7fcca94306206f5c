package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run this test binary as the wirebook command, to
// stop it with a real signal.
func TestMain(m *testing.M) {
	if os.Getenv("WIREBOOK_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// startServersProcess runs `wirebook servers ARGS...` as a child process
// and returns it with the addresses it printed.
func startServersProcess(t *testing.T, args ...string) (*exec.Cmd, map[string]string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"servers"}, args...)...)
	cmd.Env = append(os.Environ(), "WIREBOOK_TEST_RUN_MAIN=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addrs := map[string]string{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && strings.HasPrefix(f[1], "127.0.0.1:") {
			addrs[f[0]] = f[1]
		}
		if strings.HasPrefix(sc.Text(), "wirebook run|check|build --servers local") {
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if addrs["smtp"] == "" {
		t.Fatal("servers printed no addresses")
	}
	return cmd, addrs
}

// stopProcess sends SIGTERM, as a terminal's Ctrl-C or a service manager
// would, and wants a clean exit.
func stopProcess(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("servers after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("servers did not stop on SIGTERM")
	}
}

func TestServersProcessKeepsMailAcrossASignalledRestart(t *testing.T) {
	dir := inTempCourse(t, nil)
	store := filepath.Join(dir, "mail")
	cmd, addrs := startServersProcess(t, "--port-base", "0", "--store", store)
	if _, ok := readServersState(); !ok {
		t.Error("a running servers process left no state for --servers local")
	}
	d := dialText(t, addrs["smtp"])
	d.until("220 ")
	for _, l := range []string{"HELO x", "MAIL FROM:<bob@example.com>", "RCPT TO:<alice@example.com>"} {
		d.send(l)
		d.until("250 ")
	}
	d.send("DATA")
	d.until("354 ")
	d.send("Subject: across a real restart\r\n\r\nkept\r\n.")
	d.until("250 ")
	// Seen and flagged over IMAP before the restart.
	i := dialText(t, addrs["imap"])
	i.until("* OK")
	i.send("a LOGIN alice alice-pw")
	i.until("a OK")
	i.send("b SELECT INBOX")
	i.until("b OK")
	i.send(`c STORE 1 +FLAGS (\Flagged $Homework)`)
	i.until("c OK")
	stopProcess(t, cmd)
	if _, ok := readServersState(); ok {
		t.Error("the state file outlived the servers")
	}

	cmd, addrs = startServersProcess(t, "--port-base", "0", "--store", store)
	defer stopProcess(t, cmd)
	i = dialText(t, addrs["imap"])
	i.until("* OK")
	i.send("a LOGIN alice alice-pw")
	i.until("a OK")
	i.send("b SELECT INBOX")
	sel := i.until("b ")
	i.send("c FETCH 1 (FLAGS BODY[HEADER.FIELDS (SUBJECT)])")
	got := i.until("c ")
	if !strings.Contains(sel, "* 1 EXISTS") || !strings.Contains(got, "Subject: across a real restart") ||
		!strings.Contains(got, `\Flagged`) || !strings.Contains(got, "$Homework") {
		t.Errorf("after a restart:\n%s\n%s", sel, got)
	}
}
