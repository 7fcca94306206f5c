package engine

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/protocols"
	"github.com/wirebook/wirebook/protocols/http"
	"github.com/wirebook/wirebook/protocols/imap"
	"github.com/wirebook/wirebook/protocols/pop3"
	"github.com/wirebook/wirebook/protocols/smtp"
)

// countingListener counts the connections made to it. It closes each one
// after counting it, so a session that dialled it can only end after the
// count went up: after RunLabs returns, the count is final.
func countingListener(t *testing.T) (addr string, accepts *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepts = &atomic.Int32{}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			c.Close()
		}
	}()
	return l.Addr().String(), accepts
}

// validationEngine has every protocol, "default" and "mail" pointing at a
// counting listener, and "good" at a real SMTP server.
func validationEngine(t *testing.T, opts Options) (*Engine, *smtpProvider, *atomic.Int32) {
	t.Helper()
	eng, p := newTestEngine(t, Options{})
	set, err := p.Start(Setup{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	p.starts.Store(0)
	addr, accepts := countingListener(t)
	if opts.Servers == nil {
		opts.Servers = map[string]lab.ServerEntry{}
	}
	for _, name := range []string{"default", "mail"} {
		if _, ok := opts.Servers[name]; !ok {
			opts.Servers[name] = lab.ServerEntry{URL: "smtp://" + addr, Ports: map[string]int{"smtp": port(addr), "imap": port(addr), "http": port(addr), "pop3": port(addr)}, Host: "127.0.0.1"}
		}
	}
	opts.Servers["good"] = lab.ServerEntry{URL: "smtp://" + set.Addr("smtp"), Host: "127.0.0.1", Ports: map[string]int{"smtp": port(set.Addr("smtp"))}}
	opts.Registry = protocols.NewRegistry(smtp.Protocol{}, pop3.Protocol{}, imap.Protocol{}, http.Protocol{})
	opts.Embedded = p
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(k string) (string, bool) {
			if k == "COURSE_SENDER" {
				return "teacher@example.com", true
			}
			return "", false
		}
	}
	eng.opts = New(opts).opts
	return eng, p, accepts
}

func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n := 0
	for _, c := range p {
		n = n*10 + int(c-'0')
	}
	return n
}

const goodLab = "```smtp server=good\nC: EHLO client.example\nC: QUIT\n```\n"

// Every author mistake is a file:line error found before any server is
// contacted; the lab with it does not run, the others do.
func TestValidationErrorsComeBeforeAnyConnection(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // "LINE: message part", all in the lab's errors
	}{
		{"unknown-server", "# x\n\n```smtp server=mial\nC: EHLO x\n```\n", []string{`3: unknown server "mial"`}},
		{"undefined-var", "```smtp\nC: EHLO x\nC: MAIL FROM:<${sender}>\n```\n", []string{"3: undefined variable ${sender}"}},
		{"undefined-nested", "```smtp\nC: AUTH PLAIN ${base64:\\0${usr}\\0${password}}\n```\n", []string{"2: undefined variable ${usr}"}},
		{"timeout-unit", "```smtp timeout=5\nC: QUIT\n```\n", []string{"1: timeout=5 has no unit: write timeout=5s"}},
		{"timeout-bad", "```smtp timeout=soon\nC: QUIT\n```\n", []string{"1: timeout=soon is not a duration"}},
		{"tls-starttls", "```smtp tls=starttls\nC: QUIT\n```\n", []string{"1: tls=starttls: want tls=implicit", "C: STARTTLS"}},
		{"expect-bogus", "```smtp expect=bogus\nC: QUIT\n```\n", []string{"1: expect=bogus: want ok, error, refused, a reply code"}},
		{"expect-wrong-proto", "```pop3 expect=NO\nC: QUIT\n```\n", []string{"1: expect=NO: that is not a reply of pop3"}},
		{"expect-code-imap", "```imap expect=550\nC: a1 LOGOUT\n```\n", []string{"1: expect=550: imap replies have no numeric codes"}},
		{"port", "```smtp port=99999\nC: QUIT\n```\n", []string{"1: port=99999 is not a port number"}},
		{"insecure", "```smtp insecure=yes\nC: QUIT\n```\n", []string{"1: insecure=yes: want insecure=true or insecure=false"}},
		{"open", "```smtp open=yes\nC: QUIT\n```\n", []string{"1: open=yes: want open (or open=true) to keep folded bodies open, or open=false"}},
		{"http-server-first", "```http\nS: HTTP/1.1 200 OK\nC: GET / HTTP/1.1\nC: Host: x\nC:\n```\n", []string{"2: an S: line before any C: line"}},
		{"http-inside-request", "```http\nC: GET / HTTP/1.1\nS: HTTP/1.1 200 OK\nC: Host: x\nC:\n```\n", []string{"3: an S: line inside a request"}},
		{"content-length", "```http\nC: POST /_lab/echo HTTP/1.1\nC: Host: x\nC: Content-Length: 12\nC:\nC: name=alice\nC: GET / HTTP/1.1\nC: Host: x\nC:\n```\n", []string{"4: Content-Length: 12 does not match the body: line 6 makes 10 bytes", "write Content-Length: 10"}},
		{"literal-short", "```imap\nC: a1 LOGIN alice alice-pw\nC: a2 APPEND INBOX {17}\nC: Subject: hi\nC:\nC: body\nC: a3 LOGOUT\n```\n", []string{"3: literal {17} does not match", "write {19}"}},
		{"literal-long", "```imap\nC: a1 LOGIN alice alice-pw\nC: a2 APPEND INBOX {21}\nC: Subject: hi\nC:\nC: body\nC: a3 LOGOUT\n```\n", []string{"3: literal {21} does not match", "it takes in the line end of line 6, so line 7 would be sent as more of the command", "write {19}"}},
		{"literal-plus-long", "```imap\nC: a2 APPEND INBOX {21+}\nC: Subject: hi\nC:\nC: body\n```\n", []string{"2: literal {21+} does not match", "longer than all the C: lines", "write {19+}"}},
		// Two bytes short, ending at a line end: the next line stands where a
		// command goes and is not one.
		{"literal-minus-two", "```imap\nC: a1 LOGIN alice alice-pw\nC: a2 APPEND INBOX {10}\nC: Subject: x\nC:\nC: a3 LOGOUT\n```\n", []string{"5: an empty C: line stands where the client sends its next command; if it belongs to the literal of line 3, that literal's count is too small"}},
		{"literal-minus-two-body", "```imap\nC: a2 APPEND INBOX {15}\nC: Subject: hi\nC:\nC: body\nC: a3 LOGOUT\n```\n", []string{"2: literal {15} does not match", "write {13}"}},
		{"imap-not-a-command", "```imap\nC: a1 LOGIN alice alice-pw\nC: SELECT\n```\n", []string{`3: "SELECT" is not an IMAP command (a tag, a space and a command name)`}},
		{"literal-crlf", "```imap\nC: a2 APPEND INBOX {20}\nC: Subject: hi\nC:\nC: body\nC: a3 LOGOUT\n```\n", []string{"2: literal {20} does not match", "between the CR and the LF of line 5", "write {19}"}},
		{"bad-regexp", "```smtp\nS: 220 (unclosed (re)\nC: QUIT\n```\n", []string{"2: bad regular expression"}},
		{"several", "```smtp server=nope timeout=3\nC: MAIL FROM:<${nobody}>\n```\n", []string{`1: unknown server "nope"`, "1: timeout=3 has no unit", "2: undefined variable ${nobody}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng, p, accepts := validationEngine(t, Options{})
			dir := t.TempDir()
			bad := writeLab(t, dir, tc.name+".md", tc.src)
			good := writeLab(t, dir, "good.md", goodLab)
			results := eng.RunLabs(context.Background(), []string{bad, good})
			var br, gr *LabResult
			for _, r := range results {
				if r.Path == bad {
					br = r
				} else {
					gr = r
				}
			}
			var list lab.ErrorList
			if !errors.As(br.Err, &list) {
				t.Fatalf("err = %v (%T), want a lab.ErrorList", br.Err, br.Err)
			}
			for _, w := range tc.want {
				if !strings.Contains(br.Err.Error(), filepath.Join(dir, tc.name+".md")+":"+w) && !strings.Contains(br.Err.Error(), w) {
					t.Errorf("errors lack %q:\n%s", w, br.Err)
				}
				if line, _, ok := strings.Cut(w, ": "); ok && isDigits(line) && !strings.Contains(br.Err.Error(), filepath.Join(dir, tc.name+".md")+":"+line+":") {
					t.Errorf("no error at line %s:\n%s", line, br.Err)
				}
			}
			if len(br.Sessions) != 0 {
				t.Errorf("the invalid lab ran %d sessions", len(br.Sessions))
			}
			if n := accepts.Load(); n != 0 {
				t.Errorf("a server was contacted %d times", n)
			}
			if n := p.starts.Load(); n != 0 {
				t.Errorf("embedded servers were started %d times", n)
			}
			if gr.Err != nil || len(gr.Sessions) != 1 || gr.Sessions[0].Status != StatusCaptured {
				t.Errorf("the valid lab did not run: err=%v sessions=%d", gr.Err, len(gr.Sessions))
			}
		})
	}
}

// An exact literal count, and the forms of ending a literal the client
// supports, pass validation and reach the server.
func TestExactLiteralCountsAreAccepted(t *testing.T) {
	for _, src := range []string{
		"```imap\nC: a2 APPEND INBOX {19}\nC: Subject: hi\nC:\nC: body\nC: a3 LOGOUT\n```\n",
		"```imap\nC: a2 APPEND INBOX {19+}\nC: Subject: hi\nC:\nC: body\nC: a3 LOGOUT\n```\n",
		// The message's own final CRLF in the count: an empty C: line ends the command.
		"```imap\nC: a2 APPEND INBOX {21}\nC: Subject: hi\nC:\nC: body\nC:\nC: a3 LOGOUT\n```\n",
		// Literals inside a line, the command going on after each.
		"```imap\nC: a1 LOGIN {5}\nC: alice {8}\nC: alice-pw\nC: a2 LOGOUT\n```\n",
		"```imap\nC: a2 APPEND INBOX (\\Seen) {4}\nC: body FLAGS\n```\n",
		// SASL answers and IDLE's DONE are not commands, and are not reported as such.
		"```imap\nC: a1 AUTHENTICATE PLAIN\nC: AGFsaWNlAGFsaWNlLXB3\nC: a2 IDLE\nC: DONE\nC: a3 LOGOUT\n```\n",
		"```http\nC: POST /_lab/echo HTTP/1.1\nC: Host: x\nC: Content-Length: 12\nC:\nC: name=alice\nC:\n```\n",
	} {
		eng, _, accepts := validationEngine(t, Options{})
		p := writeLab(t, t.TempDir(), "ok.md", src)
		r := eng.RunLab(context.Background(), p)
		if r.Err != nil && strings.Contains(r.Err.Error(), "literal") {
			t.Errorf("%q: %v", src, r.Err)
		}
		if accepts.Load() != 1 {
			t.Errorf("%q: the block did not run (%d connections, err %v)", src, accepts.Load(), r.Err)
		}
	}
}

func TestServerNamesUnderAnEnvironment(t *testing.T) {
	addr, _ := countingListener(t)
	real := lab.ServerEntry{URL: "smtp://" + addr}
	for _, tc := range []struct {
		name    string
		opts    Options
		src     string
		wantErr string // "" for valid
	}{
		{"embedded: unnamed", Options{}, "```smtp\nC: QUIT\n```\n", ""},
		{"embedded: course name", Options{CourseServers: []string{"campus"}}, "```smtp server=campus\nC: QUIT\n```\n", ""},
		{"embedded: front matter", Options{}, "---\nservers:\n  lab: embedded\n---\n```smtp server=lab\nC: QUIT\n```\n", ""},
		{"embedded: misspelt", Options{CourseServers: []string{"campus"}}, "```smtp server=campsu\nC: QUIT\n```\n", `unknown server "campsu": name it under servers: in the lab's front matter or in wirebook.yaml (known: campus)`},
		{"real: named", Options{Environment: "real", Servers: map[string]lab.ServerEntry{"default": real, "mail": real}}, "```smtp server=mail\nC: QUIT\n```\n", ""},
		{"real: lacks name", Options{Environment: "real", Servers: map[string]lab.ServerEntry{"default": real}}, "```smtp server=mail\nC: QUIT\n```\n", `server "mail" is not a server of environment "real" (it has: default)`},
		{"real: front matter embedded", Options{Environment: "real", Servers: map[string]lab.ServerEntry{"default": real}}, "---\nservers:\n  mail: embedded\n---\n```smtp server=mail\nC: QUIT\n```\n", `server "mail" is not a server of environment "real"`},
		{"real: front matter pinned", Options{Environment: "real", Servers: map[string]lab.ServerEntry{"default": real}}, "---\nservers:\n  mail: smtp://" + addr + "\n---\n```smtp server=mail\nC: QUIT\n```\n", ""},
		{"real: no default", Options{Environment: "real", Servers: map[string]lab.ServerEntry{"mail": real}}, "```smtp\nC: QUIT\n```\n", `this block names no server and environment "real" has no "default" server`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Registry = protocols.NewRegistry(smtp.Protocol{})
			opts.LookupEnv = func(string) (string, bool) { return "", false }
			opts.Offline = true // names are checked all the same; nothing runs
			eng := New(opts)
			r := eng.RunLab(context.Background(), writeLab(t, t.TempDir(), "lab.md", tc.src))
			switch {
			case tc.wantErr == "" && r.Err != nil:
				t.Errorf("err = %v, want none", r.Err)
			case tc.wantErr != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), tc.wantErr)):
				t.Errorf("err = %v, want %q", r.Err, tc.wantErr)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"empty", "---\ntitle: Nothing yet\n---\n\n", "1: warning: the lab is empty"},
		{"dot", "```smtp\nC: EHLO x\nC: MAIL FROM:<a@example.com>\nC: RCPT TO:<alice@example.com>\nC: DATA\nC: Subject: x\nC:\nC: .hidden\nC: .\nC: QUIT\n```\n", "8: warning: this message line starts with \".\""},
		{"append-star", "```imap\nC: a1 LOGIN alice alice-pw\nC: a2 SELECT INBOX\nC: a3 APPEND INBOX {4}\nC: body\nC+ a4 FETCH * FLAGS\nC: a5 LOGOUT\n```\n", "6: warning: a4 FETCH is pipelined after a3 APPEND (line 4), and which message \"*\" is depends"},
		{"store-fetch", "```imap\nC: a2 SELECT INBOX\nC: a3 STORE 1 +FLAGS (\\Seen)\nC+ a4 FETCH 1 FLAGS\n```\n", "4: warning: a4 FETCH is pipelined after a3 STORE (line 3), and the flags it sees"},
		{"noop-fetch", "```imap\nC: a2 SELECT INBOX\nC: a3 NOOP\nC+ a4 FETCH 1 FLAGS\n```\n", "4: warning: a4 FETCH is pipelined after a3 NOOP (line 3), which may send an untagged EXPUNGE"},
		{"smtp-after-ehlo", "```smtp\nC: EHLO x\nC+ MAIL FROM:<a@example.com>\n```\n", "3: warning: MAIL is pipelined after EHLO"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng, _, _ := validationEngine(t, Options{Offline: true})
			p := writeLab(t, t.TempDir(), "w.md", tc.src)
			r := eng.RunLab(context.Background(), p)
			if r.Err != nil {
				t.Fatalf("a warning case gave an error: %v", r.Err)
			}
			if !strings.Contains(r.Warnings.Error(), p+":"+tc.want) {
				t.Errorf("warnings = %q, want %q", r.Warnings.Error(), tc.want)
			}
		})
	}
	// What is right gives no warning: a dot-stuffed line, a pipelined
	// group of fetches, MAIL RCPT DATA.
	eng, _, _ := validationEngine(t, Options{Offline: true})
	p := writeLab(t, t.TempDir(), "fine.md", "# Fine\n\n```smtp\nC: EHLO x\nC: MAIL FROM:<a@example.com>\nC+ RCPT TO:<alice@example.com>\nC+ DATA\nC: ..hidden\nC: .\nC: QUIT\n```\n\n```imap\nC: a1 LOGIN alice alice-pw\nC: a2 SELECT INBOX\nC: a3 FETCH 1 RFC822.SIZE\nC+ a4 FETCH 1 BODY[HEADER]\nC+ a5 FETCH 1 FLAGS\nC: a6 LOGOUT\n```\n")
	if r := eng.RunLab(context.Background(), p); r.Err != nil || len(r.Warnings) > 0 {
		t.Errorf("a correct lab: err %v, warnings %v", r.Err, r.Warnings)
	}
}

func TestNotTextIsAnError(t *testing.T) {
	eng, _, accepts := validationEngine(t, Options{})
	dir := t.TempDir()
	png := writeLab(t, dir, "picture.md", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	nul := writeLab(t, dir, "nul.md", "# Lab\n\nsome\x00thing\n")
	for path, want := range map[string]string{png: ":1: not UTF-8 text: byte 0x89 at column 1", nul: ":3: a NUL byte at column 5"} {
		r := eng.RunLab(context.Background(), path)
		if r.Err == nil || !strings.Contains(r.Err.Error(), path+want) {
			t.Errorf("%s: err = %v, want %q", filepath.Base(path), r.Err, want)
		}
		if r.Lab != nil && len(r.Lab.Markdown) != 0 {
			t.Errorf("%s: the file's bytes would be rendered as Markdown", filepath.Base(path))
		}
	}
	if accepts.Load() != 0 {
		t.Errorf("a server was contacted")
	}
}

// A literal over a value known only when the block runs is counted then,
// before the connection: a wrong count fails the block without dialling.
func TestLiteralOverARuntimeValueIsCountedBeforeDialling(t *testing.T) {
	addr, accepts := countingListener(t)
	box := lab.ServerEntry{URL: "imap://" + addr, Host: "127.0.0.1", Ports: map[string]int{"imap": port(addr)}, User: "alice"}
	eng, _, _ := validationEngine(t, Options{Servers: map[string]lab.ServerEntry{"default": box}})
	// ${user} is "alice": 5 bytes, not 4.
	p := writeLab(t, t.TempDir(), "login.md", "```imap\nC: a1 LOGIN {4}\nC: ${user} {2}\nC: pw\nC: a2 LOGOUT\n```\n")
	r := eng.RunLab(context.Background(), p)
	if r.Err != nil {
		t.Fatalf("validation could not know ${user}, yet: %v", r.Err)
	}
	s := r.Sessions[0]
	if s.Status != StatusFailed || !strings.Contains(s.Reason, "2: literal {4} does not match") || !strings.Contains(s.Reason, "write {5}") {
		t.Errorf("status %s, reason %q", s.Status, s.Reason)
	}
	if n := accepts.Load(); n != 0 {
		t.Errorf("the server was dialled %d times", n)
	}
	// The right count runs.
	p = writeLab(t, t.TempDir(), "login.md", "```imap\nC: a1 LOGIN {5}\nC: ${user} {2}\nC: pw\nC: a2 LOGOUT\n```\n")
	eng.RunLab(context.Background(), p)
	if n := accepts.Load(); n != 1 {
		t.Errorf("the right count: dialled %d times, want 1", n)
	}
}
