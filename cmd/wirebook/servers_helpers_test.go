package main

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// runningServers is a `wirebook servers` run in-process by a test.
type runningServers struct {
	addrs  map[string]string
	ca     string
	out    string // everything printed up to the last line of the setup text
	stopCh chan struct{}
	done   chan int
}

// startServers runs `wirebook servers ARGS...` until stop; it fails the
// test if the servers exit before printing their addresses.
func startServers(t testing.TB, env map[string]string, args ...string) *runningServers {
	t.Helper()
	r, status, stderr := tryStartServers(t, env, args...)
	if r == nil {
		t.Fatalf("servers %q exited %d: %s", args, status, stderr)
	}
	return r
}

// tryStartServers is startServers for a start that may fail: then it
// returns nil, the exit status and stderr.
func tryStartServers(t testing.TB, env map[string]string, args ...string) (*runningServers, int, string) {
	t.Helper()
	rs := &runningServers{addrs: map[string]string{}, stopCh: make(chan struct{}), done: make(chan int, 1)}
	untilInterrupted = func() (<-chan struct{}, func()) { return rs.stopCh, func() {} }
	pr, pw := io.Pipe()
	var errb syncBuffer
	e := &cliEnv{stdin: strings.NewReader(""), stdout: pw, stderr: &errb, lookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}}
	go func() { rs.done <- run(append([]string{"servers"}, args...), e); pw.Close() }()
	var out strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		f := strings.Fields(line)
		if len(f) == 2 && strings.Contains(f[1], ":") && !strings.HasSuffix(f[0], ":") {
			rs.addrs[f[0]] = f[1]
		}
		if rest, ok := strings.CutPrefix(line, "TLS: trust the lab CA in "); ok {
			rs.ca = rest
		}
		if strings.HasPrefix(line, "wirebook run|check|build --servers local") {
			break
		}
	}
	rs.out = out.String()
	go io.Copy(io.Discard, pr)
	if len(rs.addrs) == 0 {
		st := <-rs.done
		errb.mu.Lock()
		defer errb.mu.Unlock()
		return nil, st, errb.b.String()
	}
	return rs, 0, ""
}

func (rs *runningServers) stop(t testing.TB) {
	t.Helper()
	close(rs.stopCh)
	select {
	case st := <-rs.done:
		if st != exitOK {
			t.Errorf("servers exit %d", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("servers did not stop")
	}
}

// dialog is a plain-text conversation: it sends each line and returns
// everything the server said, up to the reply to the last line.
type dialog struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialText(t *testing.T, addr string) *dialog {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &dialog{t: t, c: c, r: bufio.NewReader(c)}
}

// line reads one line without its CRLF.
func (d *dialog) line() string {
	d.t.Helper()
	s, err := d.r.ReadString('\n')
	if err != nil {
		d.t.Fatalf("read: %v (got %q)", err, s)
	}
	return strings.TrimRight(s, "\r\n")
}

// until reads lines up to and including one with prefix, joined by "\n".
func (d *dialog) until(prefix string) string {
	d.t.Helper()
	var lines []string
	for {
		l := d.line()
		lines = append(lines, l)
		if strings.HasPrefix(l, prefix) {
			return strings.Join(lines, "\n")
		}
	}
}

func (d *dialog) send(line string) {
	d.t.Helper()
	if _, err := io.WriteString(d.c, line+"\r\n"); err != nil {
		d.t.Fatal(err)
	}
}
