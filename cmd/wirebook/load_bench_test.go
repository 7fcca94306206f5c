package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkServersLoad holds 1,000 SMTP and 1,000 IMAP sessions open at
// once against `wirebook servers` (loopback, free ports), then runs a
// whole session on each: SMTP delivers a message, IMAP logs in and
// selects. Every client must be greeted (0 refused) and get every reply
// it expects (0 errors); one failure fails the benchmark.
func BenchmarkServersLoad(b *testing.B) { benchLoad(b) }

// BenchmarkServersLoadStore is the same with --store: every delivery and
// every \Recent cleared by a SELECT is written (and flushed) to a Maildir
// before the reply.
func BenchmarkServersLoadStore(b *testing.B) { benchLoad(b, "--store", b.TempDir()+"/mail") }

func benchLoad(b *testing.B, extra ...string) {
	const sessions = 1000
	inTempCourseB(b)
	srv := startServers(b, nil, append([]string{"--port-base", "0"}, extra...)...)
	defer srv.stop(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		refused, errs := loadRound(srv, sessions)
		if refused.Load() != 0 || errs.Load() != 0 {
			b.Fatalf("round %d: %d of %d sessions refused, %d errors", i, refused.Load(), 2*sessions, errs.Load())
		}
	}
	b.ReportMetric(float64(2*sessions*b.N)/b.Elapsed().Seconds(), "sessions/s")
	b.ReportMetric(0, "refused")
	b.ReportMetric(0, "errors")
}

// loadRound connects every client, waits until all are greeted (all
// sessions open at once), then lets them talk.
func loadRound(srv *runningServers, n int) (refused, errs *atomic.Int64) {
	refused, errs = new(atomic.Int64), new(atomic.Int64)
	var firstErr sync.Once
	var greeted, done sync.WaitGroup
	start := make(chan struct{})
	client := func(addr string, talk func(*loadConn) error) {
		defer done.Done()
		c, err := net.DialTimeout("tcp", addr, 30*time.Second)
		if err != nil {
			refused.Add(1)
			greeted.Done()
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(60 * time.Second))
		lc := &loadConn{c: c, r: bufio.NewReader(c)}
		g, err := lc.r.ReadString('\n')
		ok := err == nil && (strings.HasPrefix(g, "220 ") || strings.HasPrefix(g, "* OK "))
		greeted.Done()
		if !ok {
			refused.Add(1)
			return
		}
		<-start
		if err := talk(lc); err != nil {
			errs.Add(1)
			firstErr.Do(func() { fmt.Println("load: first error:", err) })
		}
	}
	greeted.Add(2 * n)
	done.Add(2 * n)
	for i := 0; i < n; i++ {
		go client(srv.addrs["smtp"], smtpLoadSession)
		go client(srv.addrs["imap"], imapLoadSession)
	}
	greeted.Wait()
	close(start)
	done.Wait()
	return refused, errs
}

type loadConn struct {
	c net.Conn
	r *bufio.Reader
}

// step sends line and reads up to the line starting with want.
func (l *loadConn) step(line, want string) error {
	if _, err := fmt.Fprintf(l.c, "%s\r\n", line); err != nil {
		return err
	}
	for {
		s, err := l.r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("after %q: %v", line, err)
		}
		if strings.HasPrefix(s, want) {
			return nil
		}
		// Another final line: an SMTP reply without '-', an IMAP tagged one.
		tag, _, _ := strings.Cut(want, " ")
		smtpFinal := want[0] >= '0' && want[0] <= '9' && len(s) >= 4 && s[3] == ' '
		if smtpFinal || strings.HasPrefix(s, tag+" ") {
			return fmt.Errorf("after %q: %q, want %q", line, s, want)
		}
	}
}

func smtpLoadSession(l *loadConn) error {
	for _, s := range [][2]string{
		{"EHLO load.example", "250 "}, {"MAIL FROM:<alice@example.com>", "250 "}, {"RCPT TO:<bob@example.com>", "250 "},
		{"DATA", "354 "}, {"Subject: load\r\n\r\none of many\r\n.", "250 "}, {"QUIT", "221 "},
	} {
		if err := l.step(s[0], s[1]); err != nil {
			return err
		}
	}
	return nil
}

func imapLoadSession(l *loadConn) error {
	for _, s := range [][2]string{
		{"a LOGIN alice alice-pw", "a OK"}, {"b SELECT INBOX", "b OK"}, {"c LOGOUT", "c OK"},
	} {
		if err := l.step(s[0], s[1]); err != nil {
			return err
		}
	}
	return nil
}

func inTempCourseB(b *testing.B) {
	b.Helper()
	dir := b.TempDir()
	b.Setenv("XDG_CACHE_HOME", dir+"/xdg-cache")
	b.Chdir(dir)
}
