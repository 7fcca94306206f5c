package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/protocols"
)

// The cost of a live session against the embedded servers, next to the
// floor: a minimal Go client and responder exchanging the same lines over
// loopback, one connection per session (docs/performance.md).
//
//	go test -run '^$' -bench 'Session' ./cmd/wirebook/
//
// BenchmarkSessionSMTP/wirebook reports ns per session (the lab's blocks
// run one after another against one embedded server set, so starting the
// set is shared); .../minimal the same exchange with nothing else.

const benchBlocks = 20

var benchScripts = map[string]string{
	"smtp": "C: EHLO client.example\nC: MAIL FROM:<teacher@example.com>\nC: RCPT TO:<alice@example.com>\nC: DATA\nC: Subject: bench\nC:\nC: one line of body\nC: .\nC: QUIT\n",
	"imap": "C: a1 LOGIN ${user} ${password}\nC: a2 SELECT INBOX\nC: a3 FETCH 1:* (FLAGS)\nC: a4 NOOP\nC: a5 LOGOUT\n",
}

func BenchmarkSessionSMTP(b *testing.B) { benchSession(b, "smtp") }
func BenchmarkSessionIMAP(b *testing.B) { benchSession(b, "imap") }

func benchSession(b *testing.B, proto string) {
	inTempCourseB(b)
	block := "```" + proto + "\n" + benchScripts[proto] + "```\n\n"
	path := filepath.Join("labs", "bench.md")
	if err := os.MkdirAll("labs", 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("---\ntitle: bench\n---\n\n"+strings.Repeat(block, benchBlocks)), 0o644); err != nil {
		b.Fatal(err)
	}
	var errb strings.Builder
	env := &cliEnv{stdout: discard{}, stderr: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	var common commonFlags
	eng, err := common.engine(env, newEmbeddedProvider(), engine.Options{}, "labs")
	if err != nil {
		b.Fatal(err)
	}
	// The server lines written in, as an author has them: every session
	// is compared and verified.
	first := eng.RunLab(context.Background(), path)
	if first.Err != nil || len(first.Sessions) != benchBlocks || first.Sessions[0].Err != nil {
		b.Fatalf("lab: %v %v", first.Err, first.Sessions)
	}
	changes, _ := engine.PlanUpdate(first)
	if err := engine.WriteUpdate(first, changes); err != nil {
		b.Fatal(err)
	}
	if r := eng.RunLab(context.Background(), path); r.Sessions[0].Status != engine.StatusVerified {
		b.Fatalf("after update: %s %s", r.Sessions[0].Status, r.Sessions[0].Reason)
	}
	events := first.Sessions[0].Events
	b.Run("wirebook", func(b *testing.B) {
		for range b.N {
			r := eng.RunLab(context.Background(), path)
			if r.Err != nil || r.Sessions[benchBlocks-1].Err != nil {
				b.Fatal(r.Err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBlocks), "ns/session")
	})
	b.Run("minimal", func(b *testing.B) {
		addr := minimalResponder(b, events)
		for range b.N {
			for range benchBlocks {
				if err := minimalClient(addr, events); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBlocks), "ns/session")
	})
}

// minimalResponder answers every connection with the server lines of
// events: those before the first client line, then after each client line
// the ones that followed it.
func minimalResponder(b *testing.B, events []protocols.Event) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	greeting, replies := exchange(events)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				w := bufio.NewWriter(c)
				r := bufio.NewReader(c)
				w.WriteString(greeting)
				w.Flush()
				for _, reply := range replies {
					if _, err := r.ReadString('\n'); err != nil {
						return
					}
					if reply != "" {
						w.WriteString(reply)
						w.Flush()
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// minimalClient sends the client lines of events and reads as many server
// lines as followed each.
func minimalClient(addr string, events []protocols.Event) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	greeting, replies := exchange(events)
	for range strings.Count(greeting, "\n") {
		if _, err := r.ReadString('\n'); err != nil {
			return err
		}
	}
	for i, ev := range clientLines(events) {
		w.WriteString(ev + "\r\n")
		w.Flush()
		for range strings.Count(replies[i], "\n") {
			if _, err := r.ReadString('\n'); err != nil {
				return fmt.Errorf("after %q: %w", ev, err)
			}
		}
	}
	return nil
}

func clientLines(events []protocols.Event) []string {
	var out []string
	for _, ev := range events {
		if ev.Kind == protocols.Client {
			out = append(out, ev.Text)
		}
	}
	return out
}

func exchange(events []protocols.Event) (greeting string, replies []string) {
	var cur strings.Builder
	started := false
	for _, ev := range events {
		switch ev.Kind {
		case protocols.Client:
			if !started {
				greeting, started = cur.String(), true
			} else {
				replies = append(replies, cur.String())
			}
			cur.Reset()
		case protocols.Server:
			cur.WriteString(ev.Text + "\r\n")
		}
	}
	return greeting, append(replies, cur.String())
}
