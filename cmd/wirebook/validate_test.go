package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// listenCounting accepts and closes connections, counting them; a session
// that dialled it ends only after the count went up.
func listenCounting(t *testing.T) (addr string, n *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	n = &atomic.Int32{}
	go func() {
		for c, err := l.Accept(); err == nil; c, err = l.Accept() {
			n.Add(1)
			c.Close()
		}
	}()
	return l.Addr().String(), n
}

// readLabs returns every file under labs/, to tell whether a command
// changed one.
func readLabs(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	filepath.WalkDir(filepath.Join(dir, "labs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			got[p] = string(data)
		}
		return err
	})
	return got
}

// Every malformed lab is a file:line error with exit 2 from build, check
// and update alike, before any server is contacted; no lab file changes,
// and the valid lab beside them is still run.
func TestMalformedLabsFailBeforeAnyConnection(t *testing.T) {
	addr, accepts := listenCounting(t)
	dir := inTempCourse(t, map[string]string{
		"good.md":      smallLab,
		"server.md":    "# Typo\n\n```smtp server=mial\nC: EHLO x\nC: QUIT\n```\n",
		"timeout.md":   "# T\n\n```smtp server=mail timeout=5\nC: EHLO x\nC: QUIT\n```\n",
		"tls.md":       "# T\n\n```smtp server=mail tls=starttls\nC: EHLO x\nC: QUIT\n```\n",
		"expect.md":    "# T\n\n```smtp server=mail expect=bogus\nC: EHLO x\nC: QUIT\n```\n",
		"vars.md":      "# T\n\n```smtp server=mail\nC: EHLO x\nC: MAIL FROM:<${sender}>\nC: QUIT\n```\n",
		"literal.md":   "# T\n\n```imap server=box\nC: a1 LOGIN alice alice-pw\nC: a2 APPEND INBOX {17}\nC: Subject: hi\nC:\nC: body\nC: a3 LOGOUT\n```\n",
		"http.md":      "# T\n\n```http server=web\nS: HTTP/1.1 200 OK\nC: GET / HTTP/1.1\nC: Host: x\nC:\n```\n",
		"picture.md":   "\x89PNG\r\n\x1a\n\x00\x00",
		"port.md":      "# T\n\n```smtp server=mail port=0\nC: QUIT\n```\n",
		"insecure.md":  "# T\n\n```smtp server=mail insecure=1\nC: QUIT\n```\n",
		"empty-ok.md":  "---\ntitle: Later\n---\n",
		"unreached.md": "# U\n\n```smtp server=mail\nC: EHLO x\n```\n",
	})
	// unreached.md is valid and would contact the counting listener: it is
	// run alone at the end, to show the listener counts.
	unreached := filepath.Join(dir, "labs", "unreached.md")
	moved := filepath.Join(dir, "unreached.md")
	if err := os.Rename(unreached, moved); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`labs/server.md:3: unknown server "mial"`,
		"labs/timeout.md:3: timeout=5 has no unit: write timeout=5s",
		"labs/tls.md:3: tls=starttls: want tls=implicit",
		"labs/expect.md:3: expect=bogus: want ok, error, refused",
		"labs/vars.md:5: undefined variable ${sender}",
		"labs/literal.md:5: literal {17} does not match the lines after it",
		"labs/http.md:4: an S: line before any C: line",
		"labs/picture.md:1: not UTF-8 text",
		"labs/port.md:3: port=0 is not a port number",
		"labs/insecure.md:3: insecure=1: want insecure=true or insecure=false",
		"labs/empty-ok.md:1: warning: the lab is empty",
	}
	servers := []string{"--server", "mail=smtp://" + addr, "--server", "box=imap://" + addr, "--server", "web=http://" + addr}
	before := readLabs(t, dir)
	for _, args := range [][]string{
		{"build", "--no-cache", "--out", "out"},
		{"check"},
		{"update"},
		{"check", "--update", "--force"},
	} {
		status, _, stderr := runCLI(t, nil, "", append(append(args, servers...), "labs")...)
		if status != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, status, exitUsage, stderr)
		}
		for _, w := range want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr lacks %q", args, w)
			}
		}
		if n := accepts.Load(); n != 0 {
			t.Fatalf("%v: a server was contacted %d times", args, n)
		}
		after := readLabs(t, dir)
		for p, data := range before {
			if after[p] != data && !strings.HasSuffix(p, "good.md") {
				t.Errorf("%v changed %s", args, p)
			}
		}
		if len(after) != len(before) {
			t.Errorf("%v: files under labs/ went from %d to %d", args, len(before), len(after))
		}
	}
	if page, err := os.ReadFile(filepath.Join(dir, "out", "good.html")); err != nil || !strings.Contains(textOf(string(page)), "220 mail.example.com") {
		t.Errorf("the valid lab was not built beside the others: %v", err)
	}
	// The listener does count: a valid lab that uses it connects once.
	runCLI(t, nil, "", append(append([]string{"check"}, servers...), moved)...)
	if accepts.Load() != 1 {
		t.Errorf("the valid lab's connection was counted %d times, want 1", accepts.Load())
	}
}

func TestCheckStrictFailsOnWarnings(t *testing.T) {
	inTempCourse(t, map[string]string{"dot.md": "# Dot\n\n```smtp\nC: EHLO client.example\nC: MAIL FROM:<t@example.com>\nC: RCPT TO:<alice@example.com>\nC: DATA\nC: Subject: x\nC:\nC: .hidden\nC: .\nC: QUIT\n```\n"})
	if status, _, stderr := runCLI(t, nil, "", "update", "labs"); status != exitOK || !strings.Contains(stderr, "labs/dot.md:10: warning:") {
		t.Fatalf("update: exit %d\n%s", status, stderr)
	}
	// update wrote S: lines above it: the line moved.
	data, _ := os.ReadFile("labs/dot.md")
	line := 1 + strings.Count(string(data[:strings.Index(string(data), "C: .hidden")]), "\n")
	at := "labs/dot.md:" + fmtInt(line) + ": warning:"
	status, out, stderr := runCLI(t, nil, "", "check", "labs")
	if status != exitOK || !strings.Contains(stderr, at+" this message line starts with \".\"") || !strings.Contains(out, "1 passed, 0 failed") {
		t.Errorf("check: exit %d\n%s%s", status, out, stderr)
	}
	if status, _, stderr := runCLI(t, nil, "", "check", "--strict", "labs"); status != exitUsage || !strings.Contains(stderr, "warning:") {
		t.Errorf("check --strict: exit %d, want %d\n%s", status, exitUsage, stderr)
	}
	if _, out, _ := runCLI(t, nil, "", "check", "--json", "labs"); !strings.Contains(out, `"warnings": [`+"\n"+`    "`+at) {
		t.Errorf("json report lacks the warning:\n%s", out)
	}
}

// update writes a symlinked lab's target, keeps the link, and removes the
// temporary files killed runs left, only stale ones of its own pattern.
func TestUpdateFollowsSymlinksAndRemovesStaleTemps(t *testing.T) {
	dir := inTempCourse(t, nil)
	shared := filepath.Join(dir, "shared")
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(shared, "small.md")
	if err := os.WriteFile(target, []byte(smallLab), 0o644); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "labs"), 0o755)
	link := filepath.Join(dir, "labs", "small.md")
	if err := os.Symlink(filepath.Join("..", "shared", "small.md"), link); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-11 * time.Minute)
	stale := filepath.Join(shared, ".small.md.tmp-123456789")
	fresh := filepath.Join(shared, ".small.md.tmp-987654321")
	other := filepath.Join(shared, ".notes.md.tmp-1")
	for _, p := range []string{stale, fresh, other} {
		os.WriteFile(p, []byte("half a lab"), 0o644)
	}
	os.Chtimes(stale, old, old)
	os.Chtimes(other, old, old)
	status, _, stderr := runCLI(t, nil, "", "update", "labs")
	if status != exitOK {
		t.Fatalf("update: exit %d\n%s", status, stderr)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the lab is no longer a symbolic link: %v", err)
	}
	if data, _ := os.ReadFile(target); !strings.Contains(string(data), "S: 220 mail.example.com ESMTP") {
		t.Errorf("the link's target was not updated:\n%s", data)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale temporary file is still there")
	}
	if !strings.Contains(stderr, "removed "+filepath.Join("shared", ".small.md.tmp-123456789")) {
		t.Errorf("update did not say what it removed:\n%s", stderr)
	}
	for _, p := range []string{fresh, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: it is not a stale leftover of this lab", filepath.Base(p))
		}
	}
}

func TestRunValidatesBeforeConnecting(t *testing.T) {
	addr, accepts := listenCounting(t)
	dir := inTempCourse(t, map[string]string{"bad.md": "# T\n\n```smtp server=mail timeout=2\nC: EHLO x\nC: QUIT\n```\n"})
	status, stdout, stderr := runCLI(t, nil, "", "run", "--server", "mail=smtp://"+addr, filepath.Join("labs", "bad.md"))
	if status != exitUsage || !strings.Contains(stderr, "labs/bad.md:3: timeout=2 has no unit: write timeout=2s") {
		t.Errorf("run: exit %d\n%s", status, stderr)
	}
	if strings.Contains(stdout, "connected") || accepts.Load() != 0 {
		t.Errorf("run contacted the server (%d connections):\n%s", accepts.Load(), stdout)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "labs", "bad.md")); !strings.Contains(string(data), "timeout=2\n") {
		t.Errorf("the lab changed")
	}
}
