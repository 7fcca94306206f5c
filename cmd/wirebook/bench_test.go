package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/engine"
)

// BenchmarkBuildCourse builds the repository's course with every session
// run against fresh embedded servers (the first build on a machine).
func BenchmarkBuildCourse(b *testing.B) {
	benchCourse(b, "--no-cache")
}

// BenchmarkBuildCourseCached rebuilds the course with nothing changed: the
// transcript cache serves every session and no server is contacted.
func BenchmarkBuildCourseCached(b *testing.B) {
	benchCourse(b)
}

func benchCourse(b *testing.B, extra ...string) {
	b.Helper()
	dir := b.TempDir()
	b.Setenv("XDG_CACHE_HOME", dir+"/xdg")
	old, _ := os.Getwd()
	if err := os.CopyFS(dir+"/labs", os.DirFS("../../labs")); err != nil {
		b.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.Chdir(old) })
	args := append([]string{"build", "--out", "out"}, extra...)
	args = append(args, "labs")
	env := &cliEnv{stdout: discard{}, stderr: discard{}, lookupEnv: func(string) (string, bool) { return "", false }}
	if st := run(args, env); st != exitOK { // warm the cache and the lab CA
		b.Fatalf("build exit %d", st)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if st := run(args, env); st != exitOK {
			b.Fatalf("build exit %d", st)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkDelayedServer: 8 labs of 3 SMTP blocks each against a server
// 50 ms away each way (a proxy in this process, on 127.0.0.1), with the
// default flags. It reports the whole run as a multiple of the slowest lab
// run alone ("x-slowest-lab"); labs that only wait on the network should
// overlap, so it should stay close to 1.
func BenchmarkDelayedServer(b *testing.B) {
	dir := b.TempDir()
	b.Setenv("XDG_CACHE_HOME", dir+"/xdg")
	old, _ := os.Getwd()
	os.Chdir(dir)
	b.Cleanup(func() { os.Chdir(old) })
	set, err := newEmbeddedProvider().Start(engine.Setup{})
	if err != nil {
		b.Fatal(err)
	}
	defer set.Close()
	addr := delayedProxy(b, set.Addr("smtp"), 50*time.Millisecond)
	block := "```smtp\nC: EHLO client.example\nC: NOOP\nC: QUIT\n```\n\n"
	os.MkdirAll("labs", 0o755)
	for i := range 8 {
		os.WriteFile(fmt.Sprintf("labs/lab%d.md", i), []byte("# Lab\n\n"+strings.Repeat(block, 3)), 0o644)
	}
	env := &cliEnv{stdout: discard{}, stderr: discard{}, lookupEnv: func(string) (string, bool) { return "", false }}
	server := "default=smtp://" + addr
	timeRun := func(args ...string) time.Duration {
		start := time.Now()
		run(append([]string{"build", "--no-cache", "--out", "out", "--server", server}, args...), env)
		return time.Since(start)
	}
	var slowest time.Duration
	for i := range 8 {
		slowest = max(slowest, timeRun(fmt.Sprintf("labs/lab%d.md", i)))
	}
	b.ResetTimer()
	var all time.Duration
	for i := 0; i < b.N; i++ {
		all += timeRun("labs")
	}
	b.StopTimer()
	all /= time.Duration(b.N)
	b.ReportMetric(float64(slowest.Milliseconds()), "ms-slowest-lab")
	b.ReportMetric(float64(all.Milliseconds()), "ms-8-labs")
	b.ReportMetric(float64(all)/float64(slowest), "x-slowest-lab")
}

// delayedProxy forwards TCP connections to backend, delivering every chunk
// delay after it was read, in each direction.
func delayedProxy(b *testing.B, backend string, delay time.Duration) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	pipe := func(dst, src net.Conn) {
		type chunk struct {
			data []byte
			at   time.Time
		}
		ch := make(chan chunk, 64)
		go func() {
			defer close(ch)
			for {
				buf := make([]byte, 32<<10)
				n, err := src.Read(buf)
				if n > 0 {
					ch <- chunk{buf[:n], time.Now().Add(delay)}
				}
				if err != nil {
					return
				}
			}
		}()
		for c := range ch {
			time.Sleep(time.Until(c.at))
			if _, err := dst.Write(c.data); err != nil {
				break
			}
		}
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				s, err := net.Dial("tcp", backend)
				if err != nil {
					c.Close()
					return
				}
				done := make(chan struct{}, 2)
				go func() { pipe(s, c); done <- struct{}{} }()
				go func() { pipe(c, s); done <- struct{}{} }()
				<-done
				<-done
				c.Close()
				s.Close()
			}()
		}
	}()
	return ln.Addr().String()
}
