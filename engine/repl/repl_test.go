package repl

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func startPython(t *testing.T) *Python {
	t.Helper()
	p, err := StartPython(Config{Dir: t.TempDir(), Env: append(os.Environ(), "PYTHONHASHSEED=0", "WIREBOOK_TEST_SECRET=s3cret-value")})
	if err != nil {
		t.Fatalf("StartPython: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func run(t *testing.T, p *Python, src string) Result {
	t.Helper()
	r, err := p.Run(src, 10*time.Second, 0)
	if err != nil {
		t.Fatalf("Run(%q): %v", src, err)
	}
	return r
}

// runAll runs statements in order; each must print want without raising.
func runAll(t *testing.T, p *Python, cases []struct{ src, want string }) {
	t.Helper()
	for _, tc := range cases {
		if r := run(t, p, tc.src); r.Output != tc.want || r.Raised {
			t.Errorf("Run(%q) = %q (raised %v), want %q", tc.src, r.Output, r.Raised, tc.want)
		}
	}
}

func TestPythonEchoesLikeThePrompt(t *testing.T) {
	p := startPython(t)
	if !strings.HasPrefix(p.Version(), "3.") {
		t.Errorf("Version() = %q, want 3.x", p.Version())
	}
	runAll(t, p, []struct{ src, want string }{
		{"1 + 1", "2\n"},
		{"x = 'a\\r\\n'", ""},
		{"x", "'a\\r\\n'\n"},
		{"_", "'a\\r\\n'\n"}, // the prompt's last value
		{"print(x, end='')", "a\r\n"},
		{"None", ""},
		{"for i in range(3):\n    print(i)\n", "0\n1\n2\n"},
		{"def f(n):\n    return n * 2\n", ""},
		{"f(21)", "42\n"},
		{"", ""},
	})
}

func TestPythonTracebacksAsTheREPLPrintsThem(t *testing.T) {
	p := startPython(t)
	r := run(t, p, "1/0")
	want := "Traceback (most recent call last):\n  File \"<stdin>\", line 1, in <module>\nZeroDivisionError: division by zero\n"
	if r.Output != want || !r.Raised {
		t.Errorf("1/0 gave %q (raised %v), want %q", r.Output, r.Raised, want)
	}
	r = run(t, p, "print('a'")
	if !r.Raised && !r.Incomplete {
		t.Errorf("an unclosed call neither raised nor asked for more: %+v", r)
	}
	r = run(t, p, "1 +* 2")
	if !r.Raised || !strings.Contains(r.Output, "SyntaxError: invalid syntax") || !strings.HasPrefix(r.Output, "  File \"<stdin>\", line 1") {
		t.Errorf("syntax error gave %q", r.Output)
	}
	if r := run(t, p, "2"); r.Output != "2\n" {
		t.Errorf("after errors the session goes on: got %q", r.Output)
	}
}

func TestPythonInterleavesStdoutAndStderr(t *testing.T) {
	p := startPython(t)
	run(t, p, "import sys")
	r := run(t, p, "for i in range(3):\n    print('out', i); print('err', i, file=sys.stderr)\n")
	want := "out 0\nerr 0\nout 1\nerr 1\nout 2\nerr 2\n"
	if r.Output != want {
		t.Errorf("got %q, want %q", r.Output, want)
	}
}

func TestPythonStdinIsEmpty(t *testing.T) {
	p := startPython(t)
	r, err := p.Run("input('name? ')", 5*time.Second, 0)
	if err != nil || r.TimedOut {
		t.Fatalf("input() hung or failed: %v %+v", err, r)
	}
	if !strings.Contains(r.Output, "EOFError") {
		t.Errorf("input() gave %q, want an EOFError", r.Output)
	}
}

func TestPythonDeadlineInterrupts(t *testing.T) {
	p := startPython(t)
	run(t, p, "kept = 7")
	r, err := p.Run("while True:\n    pass\n", 500*time.Millisecond, 0)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := "Traceback (most recent call last):\n  File \"<stdin>\", line 1, in <module>\nKeyboardInterrupt\n"
	if !r.TimedOut || r.Output != want {
		t.Errorf("endless loop gave %+v, want timed out with KeyboardInterrupt", r)
	}
	if r := run(t, p, "kept"); r.Output != "7\n" {
		t.Errorf("after the interrupt the state is kept: got %q", r.Output)
	}
}

func TestPythonDeadlineKillsWhatIgnoresInterrupts(t *testing.T) {
	p := startPython(t)
	run(t, p, "import time")
	r, err := p.Run("while True:\n    try:\n        time.sleep(1)\n    except KeyboardInterrupt:\n        pass\n", 300*time.Millisecond, 0)
	if err == nil || !r.TimedOut {
		t.Fatalf("a loop that swallows Ctrl-C gave %+v, %v; want an error", r, err)
	}
	if _, err := p.Run("1", time.Second, 0); err == nil {
		t.Errorf("the killed interpreter still takes statements")
	}
}

func TestPythonOutputLimit(t *testing.T) {
	p := startPython(t)
	r, err := p.Run("while True:\n    print('x' * 1000)\n", 10*time.Second, 10000)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !r.Truncated || len(r.Output) != 10000 {
		t.Errorf("endless printing gave truncated=%v with %d bytes, want 10000", r.Truncated, len(r.Output))
	}
	r, err = p.Run("'y' * 100000", 10*time.Second, 1000)
	if err != nil || !r.Truncated || len(r.Output) != 1000 {
		t.Errorf("a huge value gave %d bytes, truncated=%v, err %v", len(r.Output), r.Truncated, err)
	}
	if r := run(t, p, "3"); r.Output != "3\n" || r.Truncated {
		t.Errorf("after the limit the session goes on: %+v", r)
	}
}

func TestPythonDefineAndEnvironment(t *testing.T) {
	p := startPython(t)
	if err := p.Define(map[string]any{"HOST": "127.0.0.1", "SMTP_PORT": 2525}, map[string]string{"SECRET": "WIREBOOK_TEST_SECRET"}); err != nil {
		t.Fatal(err)
	}
	if r := run(t, p, "HOST, SMTP_PORT, len(SECRET)"); r.Output != "('127.0.0.1', 2525, 12)\n" {
		t.Errorf("names gave %q", r.Output)
	}
}

func TestPythonExit(t *testing.T) {
	p := startPython(t)
	r := run(t, p, "exit()")
	if !r.Exited {
		t.Errorf("exit() gave %+v", r)
	}
	if _, err := p.Run("1", time.Second, 0); err == nil {
		t.Errorf("statements after exit() ran")
	}
}

func TestPythonSeededRandom(t *testing.T) {
	a, b := startPython(t), startPython(t)
	src := "import imaplib, random; imaplib.Int2AP(random.randint(4096, 65535))"
	if ra, rb := run(t, a, src), run(t, b, src); ra.Output != rb.Output || ra.Output == "" {
		t.Errorf("two interpreters drew %q and %q", ra.Output, rb.Output)
	}
}

func TestPythonMissing(t *testing.T) {
	_, err := StartPython(Config{Program: "no-such-python-wirebook"})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("missing python3: err = %v, want ErrNotFound", err)
	}
}

func TestShell(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, Env: []string{"PATH=" + os.Getenv("PATH"), "SMTP_PORT=2525"}}
	res, err := RunShell(context.Background(), cfg, []string{
		"echo out; echo err >&2; echo out2",
		"cd sub 2>/dev/null || { mkdir sub && cd sub; }\npwd | sed 's|.*/||'",
		"printf 'no newline'",
		"echo $SMTP_PORT; false",
		"read x; echo read=$?",
	}, 10*time.Second, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Command{
		{Output: "out\nerr\nout2\n", Ran: true},
		{Output: "sub\n", Ran: true},
		{Output: "no newline", Ran: true},
		{Output: "2525\n", Status: 1, Ran: true},
		{Output: "read=1\n", Ran: true},
	}
	for i, w := range want {
		if res.Commands[i] != w {
			t.Errorf("command %d = %+v, want %+v", i, res.Commands[i], w)
		}
	}
}

func TestShellExitAndDeadlineAndLimit(t *testing.T) {
	cfg := Config{Dir: t.TempDir(), Env: []string{"PATH=" + os.Getenv("PATH")}}
	res, err := RunShell(context.Background(), cfg, []string{"echo a; exit 3", "echo never"}, 10*time.Second, 0)
	if err != nil || res.Commands[0].Status != 3 || res.Commands[1].Ran {
		t.Errorf("exit 3: %+v, %v", res, err)
	}
	// A background command does not keep the block running.
	res, err = RunShell(context.Background(), cfg, []string{"sleep 60 &", "echo after"}, 10*time.Second, 0)
	if err != nil || res.TimedOut || res.Commands[1].Output != "after\n" {
		t.Errorf("sleep 60 &: %+v, %v", res, err)
	}
	res, err = RunShell(context.Background(), cfg, []string{"echo start; sleep 60"}, 300*time.Millisecond, 0)
	if err != nil || !res.TimedOut || res.Commands[0].Output != "start\n" {
		t.Errorf("sleep 60: %+v, %v", res, err)
	}
	res, err = RunShell(context.Background(), cfg, []string{"yes"}, 10*time.Second, 5000)
	if err != nil || !res.Truncated || len(res.Commands[0].Output) != 5000 {
		t.Errorf("yes: truncated=%v, %d bytes, %v", res.Truncated, len(res.Commands[0].Output), err)
	}
}

func TestPythonShowsErrorsAsThePromptDoes(t *testing.T) {
	p := startPython(t)
	run(t, p, "class A:\n    esmtp_features = 1\n")
	r := run(t, p, "A().esmpt_features")
	want := "Traceback (most recent call last):\n  File \"<stdin>\", line 1, in <module>\nAttributeError: 'A' object has no attribute 'esmpt_features'"
	if !strings.HasPrefix(r.Output, want) {
		t.Errorf("got %q, want it to start with %q", r.Output, want)
	}
	// The prompt's own display suggests the name (Python 3.10 and later).
	if !strings.HasPrefix(p.Version(), "3.8") && !strings.HasPrefix(p.Version(), "3.9") && !strings.Contains(r.Output, "Did you mean: 'esmtp_features'?") {
		t.Errorf("no suggestion in %q", r.Output)
	}
}

func TestPythonSessionSurvivesChildProcesses(t *testing.T) {
	p := startPython(t)
	// A background child outlives the statement; the session goes on and
	// Close does not wait for it.
	run(t, p, "import os, subprocess")
	r := run(t, p, "subprocess.Popen(['sleep', '30'], close_fds=False).pid > 0")
	if r.Output != "True\n" {
		t.Fatalf("got %q", r.Output)
	}
	if r := run(t, p, "os.system('sleep 30 &')"); r.Output != "0\n" {
		t.Errorf("os.system gave %q", r.Output)
	}
	if r := run(t, p, "1"); r.Output != "1\n" {
		t.Errorf("after the children: %q", r.Output)
	}
}

func TestPythonRecordsChildProcessesInOrder(t *testing.T) {
	p := startPython(t)
	run(t, p, "import os, subprocess, sys")
	runAll(t, p, []struct{ src, want string }{
		{"print('before'); os.system('echo from-system'); print('after')", "before\nfrom-system\n0\nafter\n"},
		{"print('a', file=sys.stderr); _ = subprocess.run(['sh', '-c', 'echo out1; echo err1 >&2; echo out2']); print('b')", "a\nout1\nerr1\nout2\nb\n"},
		{"for i in range(3):\n    print(i, end=' ', flush=False); _ = os.system('printf x%d' % i)\n", "0 x01 x12 x2"},
		{"sys.stdout.buffer.write(b'raw\\n')", "raw\n4\n"},
		{"_ = subprocess.run(['echo', 'to-stdout'], stdout=sys.stdout)", "to-stdout\n"},
		{"os.system('exit 3') >> 8", "3\n"},
	})
}

func TestPythonBackgroundChildDoesNotHoldTheStatement(t *testing.T) {
	p := startPython(t)
	run(t, p, "import os, time")
	// The child keeps fds 1 and 2 (the output pipe) open for a minute; the
	// statement ends at the driver's mark all the same.
	r, err := p.Run("os.system('sleep 60 &')", 5*time.Second, 0)
	if err != nil || r.TimedOut || r.Output != "0\n" {
		t.Fatalf("sleep 60 &: %+v, %v", r, err)
	}
	// What a background child writes later shows in the statement during
	// which it wrote (the files order the two without timing).
	run(t, p, "os.system('(while [ ! -e go ]; do sleep 0.01; done; echo late; touch done) &')")
	r = run(t, p, "while not os.path.exists('done'):\n    open('go', 'w').close(); time.sleep(0.01)\n")
	if r.Output != "late\n" {
		t.Errorf("the background child's line: got %q, want %q", r.Output, "late\n")
	}
	if r := run(t, p, "1"); r.Output != "1\n" {
		t.Errorf("after it: %q", r.Output)
	}
}

func TestPythonLimitsAndDeadlinesStopChildProcesses(t *testing.T) {
	p := startPython(t)
	run(t, p, "import os")
	// yes never ends by itself: the limit interrupts it as Ctrl-C would
	// (os.system returns; the interpreter lives on).
	r, err := p.Run("os.system('yes')", 10*time.Second, 5000)
	if err != nil || !r.Truncated || len(r.Output) != 5000 || !strings.HasPrefix(r.Output, "y\ny\n") {
		t.Errorf("os.system('yes'): truncated=%v, %d bytes, %v", r.Truncated, len(r.Output), err)
	}
	r, err = p.Run("print('start'); os.system('sleep 60')", 300*time.Millisecond, 0)
	if err != nil || !r.TimedOut || !strings.HasPrefix(r.Output, "start\n") {
		t.Errorf("os.system('sleep 60'): %+v, %v", r, err)
	}
	if r := run(t, p, "2"); r.Output != "2\n" || r.Truncated || r.TimedOut {
		t.Errorf("after them: %+v", r)
	}
}
