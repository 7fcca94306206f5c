package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wirebook/wirebook/internal/hostileserver"
)

// hostileBlocks are, per protocol, a block whose first command meets the
// misbehaviour and that logs in with a secret later; tls puts a STARTTLS
// in front of the login.
func hostileBlock(proto string, tls bool) string {
	switch proto {
	case "smtp":
		s := "C: EHLO client.example\n"
		if tls {
			s += "C: STARTTLS\n"
		}
		return s + "C: AUTH PLAIN ${base64:\\0bob\\0${HOSTILE_PASSWORD}}\nC: QUIT\n"
	case "pop3":
		s := "C: CAPA\n"
		if tls {
			s += "C: STLS\n"
		}
		return s + "C: USER bob\nC: PASS ${HOSTILE_PASSWORD}\nC: QUIT\n"
	case "imap":
		s := "C: a1 CAPABILITY\n"
		if tls {
			s += "C: a2 STARTTLS\n"
		}
		return s + "C: a3 LOGIN bob \"${HOSTILE_PASSWORD}\"\nC: a4 LOGOUT\n"
	}
	return "C: GET / HTTP/1.1\nC: Host: www.example.com\nC: Authorization: Basic ${base64:bob:${HOSTILE_PASSWORD}}\nC: Connection: close\nC:\n"
}

// hostileWant is what every command must say for a mode: "" means the
// session succeeds (exit 0); otherwise the failure's text.
var hostileWant = map[hostileserver.Mode]string{
	hostileserver.Normal:       "",
	hostileserver.Payload:      "",
	hostileserver.Echo:         "",
	hostileserver.CloseMid:     "the server closed the connection in the middle of a line (after ",
	hostileserver.ClosePayload: "the server closed the connection in the middle of a line (after ",
	hostileserver.Stall:        "no answer from the server within 500ms (read timeout)",
	hostileserver.Drip:         "the block deadline (1s) passed",
	hostileserver.Flood:        "a server line is longer than 65536 bytes (limit line_bytes)",
	hostileserver.Endless:      "the server sent more than 2000 lines in this session (limit session_lines)",
	hostileserver.HugeLiteral:  "the server announced a 999999999999-byte literal or body, more than the 4194304-byte limit (payload_bytes)",
	hostileserver.TLSRefused:   "refused (",
	hostileserver.TLSGarbage:   "TLS handshake failed",
	hostileserver.TLSInjected:  "bytes after its go-ahead, before the handshake",
}

// applies reports whether a mode means something for a protocol.
func applies(mode hostileserver.Mode, proto string) bool {
	switch mode {
	case hostileserver.HugeLiteral:
		return proto == "imap" || proto == "http"
	case hostileserver.TLSRefused, hostileserver.TLSGarbage, hostileserver.TLSInjected:
		return proto != "http"
	}
	return true
}

// heapPeak samples the Go heap while f runs and returns the highest
// HeapAlloc seen.
func heapPeak(f func()) uint64 {
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapAlloc)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak
}

// rawControl finds a raw C0 (other than tab, LF, CR), DEL or C1 control
// character, or invalid UTF-8, in a page or report.
func rawControl(s string) string {
	if !utf8.ValidString(s) {
		return "invalid UTF-8"
	}
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			return fmt.Sprintf("raw %U", r)
		}
	}
	return ""
}

// maxHeap bounds the Go heap of a whole build, run or check against any
// hostile server: what wirebook keeps is bounded by its limits, not by
// what the server sends (10^6 continuation lines once took 1.2 GB).
const maxHeap = 150 << 20

func TestEveryHostileModeAgainstEveryProtocol(t *testing.T) {
	const pw = "Hx7+secret/&<pw>"
	env := map[string]string{"HOSTILE_PASSWORD": pw}
	for _, mode := range hostileserver.Modes {
		for _, proto := range []string{"smtp", "pop3", "imap", "http"} {
			if !applies(mode, proto) {
				continue
			}
			t.Run(string(mode)+"/"+proto, func(t *testing.T) {
				tls := mode == hostileserver.TLSRefused || mode == hostileserver.TLSGarbage || mode == hostileserver.TLSInjected
				srv := hostileserver.Start(t, proto, mode, hostileserver.Options{})
				// Short waits only where the mode needs them (a slow -race
				// run must not hit a deadline elsewhere); fewer lines than the
				// default keep the table fast (TestEndlessServerStaysSmall
				// runs the defaults).
				limits := "  session_lines: 2000\n"
				switch mode {
				case hostileserver.Stall:
					limits += "  read_timeout: 500ms\n"
				case hostileserver.Drip:
					limits += "  block_deadline: 1s\n"
				}
				src := hostileLabSource(srv, limits, hostileBlock(proto, tls))
				dir := inTempCourse(t, map[string]string{"hostile.md": src})
				texts := map[string]string{}
				runtime.GC()
				peak := heapPeak(func() {
					for _, args := range [][]string{
						{"build", "--out", "out", "labs"},
						{"run", "labs/hostile.md"},
						{"check", "--json", "--junit", "report.xml", "labs"},
					} {
						status, stdout, stderr := runCLI(t, env, "", args...)
						name := args[0]
						texts[name+" stdout"], texts[name+" stderr"] = stdout, stderr
						want := hostileWant[mode]
						if mode == hostileserver.Endless && proto == "http" {
							want = "more than 200 response header lines"
						}
						switch {
						case want == "" && args[0] != "check" && status != exitOK:
							t.Errorf("%s: exit %d against a server that behaves:\n%s\n%s", name, status, stdout, stderr)
						case want != "" && status == exitOK:
							t.Errorf("%s: exit 0 against %s", name, mode)
						case want != "" && !strings.Contains(stdout+stderr, want):
							t.Errorf("%s: the error does not say %q:\n%s\n%s", name, want, clipped(stdout), clipped(stderr))
						}
						if strings.Count(stderr, "labs/hostile.md:") > strings.Count(stderr, "\n") {
							t.Errorf("%s: a file:line prefix is repeated:\n%s", name, clipped(stderr))
						}
					}
				})
				t.Logf("peak heap %d MiB", peak>>20)
				if peak > maxHeap {
					t.Errorf("peak heap %d MiB, over %d MiB", peak>>20, maxHeap>>20)
				}
				filesUnder(t, dir, texts)
				for where, text := range texts {
					// The cache (.wirebook/cache) keeps the raw bytes on purpose:
					// it is compared, never shown.
					if !strings.Contains(where, ".wirebook") && (strings.HasSuffix(where, ".html") || strings.HasSuffix(where, ".json") || strings.HasSuffix(where, ".xml") || strings.HasSuffix(where, ".md") || strings.Contains(where, "check stdout")) {
						if bad := rawControl(text); bad != "" {
							t.Errorf("%s holds %s", where, bad)
						}
					}
					if strings.HasSuffix(where, ".html") && (strings.Contains(text, "<script>alert") || strings.Contains(text, "<img src=x")) {
						t.Errorf("%s holds the server's HTML unescaped", where)
					}
				}
				if page := texts[filepath.Join(dir, "out", "hostile.html")]; page == "" {
					t.Errorf("no page was built")
				} else if info, err := os.Stat(filepath.Join(dir, "out", "hostile.html")); err == nil && info.Size() > 4<<20 {
					t.Errorf("the page is %d bytes: a cut transcript must stay small", info.Size())
				}
				scanArtifacts(t, texts, []string{pw})
				if tls {
					got := srv.Received()
					for _, bad := range append(secretForms(pw), "AUTH", "LOGIN", "USER", "PASS") {
						if strings.Contains(got, bad) {
							t.Errorf("the server received %q without TLS", bad)
						}
					}
				}
			})
		}
	}
}

func hostileLabSource(srv *hostileserver.Server, limits, block string) string {
	return fmt.Sprintf("---\ntitle: Hostile\nlimits:\n%sservers:\n  default:\n    host: 127.0.0.1\n    ports: {%s: %d}\n---\n\n# Hostile\n\n```%s\n%s```\n",
		limits, srv.Proto, srv.Port(), srv.Proto, block)
}

// TestEndlessServerStaysSmall runs build, run and check with the default
// limits against a server sending endless continuation lines: a clear
// error, a cut transcript, and a heap that does not follow the server.
func TestEndlessServerStaysSmall(t *testing.T) {
	srv := hostileserver.Start(t, "smtp", hostileserver.Endless, hostileserver.Options{})
	dir := inTempCourse(t, map[string]string{"endless.md": hostileLabSource(srv, "  lab_deadline: 10m\n", "C: EHLO client.example\nC: QUIT\n")})
	runtime.GC()
	peak := heapPeak(func() {
		for _, args := range [][]string{{"build", "--out", "out", "labs"}, {"run", "labs/endless.md"}, {"check", "labs"}} {
			status, stdout, stderr := runCLI(t, nil, "", args...)
			const want = "smtp: reply to EHLO: the server sent more than 20000 lines in this session (limit session_lines)"
			if status != exitFailed || !strings.Contains(stdout+stderr, want) {
				t.Errorf("%s: exit %d, want %d and %q:\n%s", args[0], status, exitFailed, want, clipped(stderr))
			}
		}
	})
	t.Logf("peak heap %d MiB", peak>>20)
	if peak > maxHeap {
		t.Errorf("peak heap %d MiB, over %d MiB", peak>>20, maxHeap>>20)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "out", "endless.html"))
	if !strings.Contains(string(page), "transcript cut here") {
		t.Errorf("the page does not say the transcript was cut")
	}
	if len(page) > 4<<20 {
		t.Errorf("the page is %d bytes", len(page))
	}
}

func clipped(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}

// A page built from the cache is the page the live run built, byte for
// byte, even when the server sent invalid UTF-8 (JSON strings cannot hold
// it: the cache keeps such lines as bytes).
func TestCachedPageEqualsLivePageForInvalidUTF8(t *testing.T) {
	srv := hostileserver.Start(t, "smtp", hostileserver.Payload, hostileserver.Options{})
	dir := inTempCourse(t, map[string]string{"payload.md": hostileLabSource(srv, "", "C: EHLO client.example\nC: QUIT\n")})
	if status, _, stderr := runCLI(t, nil, "", "build", "--out", "live", "labs"); status != exitOK {
		t.Fatalf("live build: exit %d\n%s", status, stderr)
	}
	received := len(srv.Received())
	if status, _, stderr := runCLI(t, nil, "", "build", "--out", "cached", "labs"); status != exitOK {
		t.Fatalf("cached build: exit %d\n%s", status, stderr)
	}
	if len(srv.Received()) != received {
		t.Fatalf("the second build contacted the server; it should have used the cache")
	}
	live, err1 := os.ReadFile(filepath.Join(dir, "live", "payload.html"))
	cached, err2 := os.ReadFile(filepath.Join(dir, "cached", "payload.html"))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if string(live) != string(cached) {
		t.Errorf("the page built from the cache differs from the live one")
	}
	if !strings.Contains(string(live), `\xff`) {
		t.Errorf("the live page does not show the server's invalid byte as \\xff")
	}
}
