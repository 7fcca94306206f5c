package engine

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/engine/check"
	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/protocols"
)

// runAndUpdate runs a lab, writes what update would, and runs it again:
// the second run must verify every block.
func runAndUpdate(t *testing.T, eng *Engine, path string) *LabResult {
	t.Helper()
	r := eng.RunLab(context.Background(), path)
	if r.Err != nil {
		t.Fatalf("RunLab: %v", r.Err)
	}
	changes, skipped := PlanUpdate(r)
	for _, s := range skipped {
		t.Fatalf("block at line %d failed: %s", s.Block.Line, s.Reason)
	}
	if err := WriteUpdate(r, changes); err != nil {
		t.Fatal(err)
	}
	return eng.RunLab(context.Background(), path)
}

func outputOf(s *SessionResult) []string { return texts(s.Events, protocols.Server) }

const sharedLab = "# shared\n\n```pycon\n>>> import smtplib\n>>> n = 41\n>>> s = smtplib.SMTP(HOST, SMTP_PORT)\n>>> s.ehlo('client.example')[0]\n" +
	">>> s.sendmail('t@example.com', ['alice@example.com'], 'Subject: x\\r\\n\\r\\nbody\\r\\n')\n```\n\n" +
	"```smtp\nC: EHLO client.example\nC: QUIT\n```\n\n" +
	"```pycon\n>>> n + 1\n>>> s.quit()[0]\n>>> for i in range(2):\n...     print(i)\n```\n"

func TestPyconSharesOneInterpreterAcrossBlocks(t *testing.T) {
	eng, _ := newTestEngine(t, Options{})
	path := writeLab(t, t.TempDir(), "shared.md", sharedLab)
	r := runAndUpdate(t, eng, path)
	for _, s := range r.Sessions {
		if s.Status != StatusVerified {
			t.Errorf("block at line %d: %s (%s)", s.Block.Line, s.Status, s.Reason)
		}
	}
	py2 := r.Sessions[2]
	if got, want := strings.Join(outputOf(py2), "|"), "42|221|0|1"; got != want {
		t.Errorf("second pycon block printed %q, want %q", got, want)
	}
	if got := outputOf(r.Sessions[0]); len(got) != 2 || got[0] != "250" || got[1] != "{}" {
		t.Errorf("first pycon block printed %q, want 250 and {}", got)
	}
	if !strings.HasPrefix(py2.Software, "Python 3.") || !py2.Embedded {
		t.Errorf("software %q, embedded %v", py2.Software, py2.Embedded)
	}
	src, _ := os.ReadFile(path)
	if !strings.Contains(string(src), ">>> n + 1\n42\n>>> s.quit()[0]\n221\n") {
		t.Errorf("update wrote:\n%s", src)
	}
}

func TestPyconTwoRunsAgree(t *testing.T) {
	eng, _ := newTestEngine(t, Options{})
	lab := "```pycon\n>>> import smtplib, imaplib, random\n>>> s = smtplib.SMTP(HOST, SMTP_PORT)\n>>> s.set_debuglevel(1)\n>>> s.ehlo()\n>>> s.quit()\n" +
		">>> imaplib.Int2AP(random.randint(4096, 65535))\n>>> object()\n>>> {'b', 'a', 'c', 'd'}\n```\n"
	dir := t.TempDir()
	a := eng.RunLab(context.Background(), writeLab(t, dir, "a.md", lab))
	b := eng.RunLab(context.Background(), writeLab(t, dir, "b.md", lab))
	ea, eb := outputOf(a.Sessions[0]), outputOf(b.Sessions[0])
	if len(ea) != len(eb) || len(ea) < 10 {
		t.Fatalf("runs printed %d and %d lines", len(ea), len(eb))
	}
	masks := check.MasksFor("pycon", nil)
	for i := range ea {
		if ea[i] == eb[i] {
			continue
		}
		p, _ := check.CompilePattern('S', ea[i], 1, nil)
		if ok, _ := p.Match(eb[i], masks); !ok {
			t.Errorf("line %d differs beyond the masks: %q and %q", i, ea[i], eb[i])
		}
		if !strings.Contains(ea[i], " at 0x") {
			t.Errorf("line %d differs between runs: %q and %q", i, ea[i], eb[i])
		}
	}
	joined := strings.Join(ea, "\n")
	if !strings.Contains(joined, "send: 'ehlo ") || !strings.Contains(joined, "reply: b'250-STARTTLS\\r\\n'") {
		t.Errorf("smtplib's debug lines are missing:\n%s", joined)
	}
}

func TestPyconSecretsNeverShown(t *testing.T) {
	env := map[string]string{"LAB_SECRET": "alice-pw"}
	cacheDir := t.TempDir()
	eng, _ := newTestEngine(t, Options{
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Servers:   map[string]lab.ServerEntry{"default": {Embedded: true, Password: "${LAB_SECRET}"}},
		Cache:     &Cache{Dir: cacheDir},
	})
	src := "```pycon\n>>> import smtplib\n>>> s = smtplib.SMTP(HOST, SMTP_PORT)\n>>> s.set_debuglevel(1)\n>>> s.login(USER, PASSWORD)\n" +
		">>> print(PASSWORD)\n>>> PASSWORD.encode().hex()\n>>> raise ValueError(PASSWORD)\n```\n"
	path := writeLab(t, t.TempDir(), "secret.md", src)
	r := eng.RunLab(context.Background(), path)
	s := r.Sessions[0]
	var all strings.Builder
	for _, ev := range s.Events {
		all.WriteString(ev.Text + "\n")
	}
	all.WriteString(s.Reason)
	files, _ := filepath.Glob(filepath.Join(cacheDir, "*"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		all.Write(data)
	}
	out := all.String()
	if !strings.Contains(out, "235 2.7.0") {
		t.Fatalf("the login did not succeed:\n%s", out)
	}
	for _, secret := range []string{"alice-pw", base64.StdEncoding.EncodeToString([]byte("\x00alice\x00alice-pw")), "aWNlLXB3"} {
		if strings.Contains(out, secret) {
			t.Errorf("output shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "********") {
		t.Errorf("no masked secret in the output:\n%s", out)
	}
	if s.Status != StatusFailed || !strings.Contains(s.Reason, "raised") {
		t.Errorf("a block that raises without expect=error: %s (%s)", s.Status, s.Reason)
	}
}

func TestPyconDeadlineAndLimit(t *testing.T) {
	eng, _ := newTestEngine(t, Options{})
	src := "```pycon timeout=1s\n>>> x = 1\n>>> while True:\n...     pass\n>>> x\n```\n\n```pycon\n>>> x + 1\n>>> while True:\n...     print('y' * 4096)\n```\n\n```pycon\n>>> input()\n```\n"
	path := writeLab(t, t.TempDir(), "loop.md", src)
	r := eng.RunLab(context.Background(), path)
	loop, flood, stdin := r.Sessions[0], r.Sessions[1], r.Sessions[2]
	if loop.Status != StatusFailed || !strings.Contains(loop.Reason, "line 3: still running after 1s") {
		t.Errorf("endless loop: %s %q", loop.Status, loop.Reason)
	}
	if got := outputOf(flood); len(got) == 0 || got[0] != "2" {
		t.Errorf("the interpreter did not survive the interrupt: %q", got[:min(len(got), 2)])
	}
	if flood.Status != StatusFailed || !strings.Contains(flood.Reason, "line 10: printed more than") {
		t.Errorf("endless printing: %s %q", flood.Status, flood.Reason)
	}
	if n := len(strings.Join(outputOf(flood), "\n")); n > execLimit+4096 {
		t.Errorf("kept %d bytes of output", n)
	}
	if stdin.Status != StatusFailed || !strings.Contains(strings.Join(outputOf(stdin), "\n"), "EOFError") {
		t.Errorf("input(): %s %q %q", stdin.Status, stdin.Reason, outputOf(stdin))
	}
}

func TestExecExpectError(t *testing.T) {
	eng, _ := newTestEngine(t, Options{})
	src := "```pycon expect=error\n>>> 1/0\n```\n\n```pycon expect=error\n>>> 1\n```\n\n```console expect=error\n$ false\n```\n\n```console\n$ exit 3\n[3]\n```\n"
	r := eng.RunLab(context.Background(), writeLab(t, t.TempDir(), "x.md", src))
	want := []string{StatusCaptured, StatusFailed, StatusCaptured, StatusVerified}
	for i, w := range want {
		if s := r.Sessions[i]; s.Status != w {
			t.Errorf("block %d: %s (%s), want %s", i+1, s.Status, s.Reason, w)
		}
	}
}

func TestExecWithoutInterpreters(t *testing.T) {
	src := "```pycon\n>>> 1\n1\n```\n\n```console\n$ echo hi\nhi\n```\n\n```smtp\nC: EHLO client.example\nC: QUIT\n```\n"
	path := writeLab(t, t.TempDir(), "x.md", src)
	t.Setenv("PATH", t.TempDir()) // no python3, no bash
	eng, _ := newTestEngine(t, Options{})
	r := eng.RunLab(context.Background(), path)
	for i, want := range []string{"pycon blocks need python3, which is not installed", "console blocks need bash, which is not installed"} {
		if s := r.Sessions[i]; s.Status != StatusFailed || !strings.Contains(s.Reason, want) {
			t.Errorf("block %d: %s %q, want %q", i+1, s.Status, s.Reason, want)
		}
	}
	if s := r.Sessions[2]; s.Status == StatusFailed {
		t.Errorf("the session block failed too: %s", s.Reason)
	}
	off, _ := newTestEngine(t, Options{Offline: true})
	r = off.RunLab(context.Background(), path)
	if s := r.Sessions[0]; s.Status != StatusOffline || strings.Join(outputOf(s), "") != "1" {
		t.Errorf("offline pycon: %s %q", s.Status, outputOf(s))
	}
	noexec, _ := newTestEngine(t, Options{NoExec: true})
	r = noexec.RunLab(context.Background(), path)
	if r.Sessions[0].Status != StatusOffline || r.Sessions[1].Status != StatusOffline || r.Sessions[2].Status != StatusCaptured {
		t.Errorf("--no-exec: %s %s %s", r.Sessions[0].Status, r.Sessions[1].Status, r.Sessions[2].Status)
	}
}

func TestExecCacheKeys(t *testing.T) {
	cache := &Cache{Dir: t.TempDir()}
	eng, _ := newTestEngine(t, Options{Cache: cache})
	path := writeLab(t, t.TempDir(), "x.md", "```pycon\n>>> 1\n1\n```\n\n```python run\nprint(2)\n```\n\n```output\n2\n```\n")
	r := eng.RunLab(context.Background(), path)
	if r.Failed() {
		t.Fatalf("run failed: %v %s", r.Err, r.Sessions[0].Reason)
	}
	again := eng.RunLab(context.Background(), path)
	if !again.Sessions[0].Cached || again.Sessions[1].Status != StatusVerified {
		t.Errorf("second run: cached=%v status=%s", again.Sessions[0].Cached, again.Sessions[1].Status)
	}
	lines, _ := eng.Explain(path)
	if len(lines) != 2 || !strings.Contains(lines[1], "x.md:10: python block 2: fresh") {
		t.Errorf("explain: %q", lines)
	}
	src, _ := os.ReadFile(path)
	_ = os.WriteFile(path, []byte(strings.Replace(string(src), "print(2)", "print(3)", 1)), 0o644)
	lines, _ = eng.Explain(path)
	if !strings.Contains(lines[1], "stale: this block changed") || !strings.Contains(lines[0], "fresh") {
		t.Errorf("explain after editing the script: %q", lines)
	}
	f := cache.load(path)
	f.Blocks[0].Keys.Interp = "Python 2.7"
	_ = cache.store(path, f)
	lines, _ = eng.Explain(path)
	if !strings.Contains(lines[0], "the interpreter changed") {
		t.Errorf("explain after an interpreter change: %q", lines)
	}
}

func TestExecBlocksInEnvironmentTranscripts(t *testing.T) {
	dir := t.TempDir()
	envDir := filepath.Join(dir, "transcripts", "real")
	eng, _ := newTestEngine(t, Options{TranscriptDir: envDir})
	src := "# x\n\n```pycon\n>>> print('  two spaces')\n>>> print()\n>>> 7\nwritten for the lab\n```\n\n```python run\nprint('script')\n```\n\n```output\n```\n"
	path := writeLab(t, dir, "l.md", src)
	r := eng.RunLab(context.Background(), path)
	changes, _ := PlanUpdate(r)
	if err := WriteUpdate(r, changes); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(path); string(now) != src {
		t.Errorf("the lab itself was changed:\n%s", now)
	}
	data, _ := os.ReadFile(filepath.Join(envDir, "l.txt"))
	if !strings.Contains(string(data), "after C1\nS:   two spaces\nafter C2\nS:\nafter C3\nS: 7\n") || !strings.Contains(string(data), "block 2 python ") {
		t.Errorf("environment transcript:\n%s", data)
	}
	r = eng.RunLab(context.Background(), path)
	for _, s := range r.Sessions {
		if s.Status != StatusVerified {
			t.Errorf("block %d against the environment's output: %s %s", s.Block.Index+1, s.Status, s.Reason)
		}
	}
	if got := strings.Join(outputOf(r.Sessions[0]), "|"); got != "  two spaces||7" {
		t.Errorf("output %q", got)
	}
}

func TestPageShowsMatchedOutputAsWritten(t *testing.T) {
	eng, _ := newTestEngine(t, Options{})
	src := "```pycon\n>>> object()\n<object object at 0x7f0000000000>\n>>> 'a' * 3\n'b...'\n>>> 2\n3\n```\n"
	r := eng.RunLab(context.Background(), writeLab(t, t.TempDir(), "x.md", src))
	shown := outputOf(&SessionResult{Events: r.Sessions[0].ShownEvents()})
	got := outputOf(r.Sessions[0])
	if shown[0] != "<object object at 0x7f0000000000>" || got[0] == shown[0] {
		t.Errorf("a masked match shows %q (the run printed %q)", shown[0], got[0])
	}
	if shown[1] != "'aaa'" {
		t.Errorf("a line the run printed differently shows %q, want the run's 'aaa'", shown[1])
	}
	if shown[2] != "2" {
		t.Errorf("a mismatch shows %q, want the run's 2", shown[2])
	}
}

func TestPythonRunFailsAtTheScriptLine(t *testing.T) {
	eng, _ := newTestEngine(t, Options{})
	src := "# x\n\n```python run\nprint(USER)\nx = 1\n1/0\n```\n\n```output\n```\n"
	r := eng.RunLab(context.Background(), writeLab(t, t.TempDir(), "x.md", src))
	s := r.Sessions[0]
	if s.Status != StatusFailed || s.FailureLine() != 6 || !strings.Contains(s.Reason, "raised") {
		t.Errorf("status %s, line %d, reason %q", s.Status, s.FailureLine(), s.Reason)
	}
	if got := outputOf(s); len(got) < 3 || got[0] != "alice" || got[len(got)-1] != "[1]" || !strings.Contains(strings.Join(got, "\n"), "ZeroDivisionError") {
		t.Errorf("output %q", got)
	}
}

func TestNoExecUsesButNeverWritesTheCache(t *testing.T) {
	cache := &Cache{Dir: t.TempDir()}
	path := writeLab(t, t.TempDir(), "x.md", "```pycon\n>>> 1\n1\n```\n\n```smtp\nC: EHLO client.example\nC: QUIT\n```\n")
	noexec, _ := newTestEngine(t, Options{Cache: cache, NoExec: true})
	r := noexec.RunLab(context.Background(), path)
	if s := r.Sessions[0]; s.Status != StatusOffline || s.Cached {
		t.Fatalf("--no-exec: %s cached=%v", s.Status, s.Cached)
	}
	if f := cache.load(path); f != nil {
		t.Errorf("a run that skipped code was cached")
	}
	eng, _ := newTestEngine(t, Options{Cache: cache})
	if r := eng.RunLab(context.Background(), path); r.Sessions[0].Status != StatusVerified {
		t.Fatalf("run: %s %s", r.Sessions[0].Status, r.Sessions[0].Reason)
	}
	r = noexec.RunLab(context.Background(), path)
	if s := r.Sessions[0]; s.Status != StatusVerified || !s.Cached {
		t.Errorf("--no-exec with a fresh cache: %s cached=%v", s.Status, s.Cached)
	}
}
