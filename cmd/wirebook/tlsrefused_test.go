package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/internal/hostileserver"
)

// tlsLogins are, per protocol, a block that asks for TLS and then logs in.
var tlsLogins = map[string]string{
	"smtp": "C: EHLO client.example\nC: STARTTLS\nC: AUTH PLAIN ${base64:\\0bob\\0${BOB_PASSWORD}}\nC: QUIT\n",
	"pop3": "C: CAPA\nC: STLS\nC: USER bob\nC: PASS ${BOB_PASSWORD}\nC: QUIT\n",
	"imap": "C: a1 CAPABILITY\nC: a2 STARTTLS\nC: a3 LOGIN bob ${BOB_PASSWORD}\nC: a4 LOGOUT\n",
}

// hostileLab is a lab whose default server is srv.
func hostileLab(srv *hostileserver.Server, attrs, body string) string {
	return fmt.Sprintf("---\ntitle: Hostile\nservers:\n  default:\n    host: 127.0.0.1\n    ports: {%s: %d}\n---\n\n# Hostile\n\n```%s%s\n%s```\n",
		srv.Proto, srv.Port(), srv.Proto, attrs, body)
}

func TestRefusedSTARTTLSSendsNoCredentials(t *testing.T) {
	const pw = "Zq9-not-for-clear-text"
	env := map[string]string{"BOB_PASSWORD": pw}
	for proto, body := range tlsLogins {
		t.Run(proto, func(t *testing.T) {
			srv := hostileserver.Start(t, proto, hostileserver.TLSRefused, hostileserver.Options{})
			src := hostileLab(srv, "", body)
			dir := inTempCourse(t, map[string]string{"tls.md": src})
			for _, args := range [][]string{
				{"run", "labs/tls.md"},
				{"build", "--no-cache", "--out", "out", "labs"},
				{"check", "labs"},
				{"update", "labs"},
			} {
				status, stdout, stderr := runCLI(t, env, "", args...)
				if status == exitOK {
					t.Errorf("%s: exit 0 after a refused STARTTLS", args[0])
				}
				if !strings.Contains(stdout+stderr, "refused (") || !strings.Contains(stdout+stderr, "stopping before any credentials go out in clear") {
					t.Errorf("%s: no clear error:\n%s\n%s", args[0], stdout, stderr)
				}
			}
			got := srv.Received()
			for _, bad := range []string{pw, "LOGIN", "USER", "AUTH", "QUIT", "LOGOUT"} {
				if strings.Contains(got, bad) {
					t.Errorf("the server received %q after refusing TLS:\n%s", bad, got)
				}
			}
			if now, _ := os.ReadFile(filepath.Join(dir, "labs", "tls.md")); string(now) != src {
				t.Errorf("update changed the lab of a failed session:\n%s", now)
			}
		})
	}
}

func TestExpectedTLSRefusalPassesAndSendsNothingMore(t *testing.T) {
	expects := map[string]string{"smtp": "454", "pop3": "-ERR", "imap": "NO"}
	for proto, body := range tlsLogins {
		t.Run(proto, func(t *testing.T) {
			srv := hostileserver.Start(t, proto, hostileserver.TLSRefused, hostileserver.Options{})
			inTempCourse(t, map[string]string{"tls.md": hostileLab(srv, " expect="+expects[proto], body)})
			env := map[string]string{"BOB_PASSWORD": "Zq9-not-for-clear-text"}
			if status, out, errs := runCLI(t, env, "", "update", "labs"); status != exitOK {
				t.Fatalf("update exit %d:\n%s\n%s", status, out, errs)
			}
			if status, out, errs := runCLI(t, env, "", "check", "labs"); status != exitOK {
				t.Errorf("check of the updated lab: exit %d:\n%s\n%s", status, out, errs)
			}
			for _, bad := range []string{"LOGIN", "USER", "AUTH", "QUIT", "LOGOUT"} {
				if strings.Contains(srv.Received(), bad) {
					t.Errorf("the server received %q after refusing TLS", bad)
				}
			}
		})
	}
}

func TestServerNameIsNeverEmpty(t *testing.T) {
	if got := serverName(&engine.SessionResult{}); got != "the block's server" {
		t.Errorf("serverName of a block that failed before its server was resolved = %q", got)
	}
	if got := serverName(&engine.SessionResult{Server: "mail\x1b[2J", Software: "x\x07"}); got != `server mail\x1b[2J (x\x07)` {
		t.Errorf("serverName = %q", got)
	}
}

// A block on implicit TLS whose handshake fails sends nothing at all.
func TestFailedImplicitTLSSendsNothing(t *testing.T) {
	for _, proto := range []string{"smtp", "pop3", "imap"} {
		t.Run(proto, func(t *testing.T) {
			srv := hostileserver.Start(t, proto, hostileserver.Normal, hostileserver.Options{})
			lab := strings.Replace(hostileLab(srv, " tls=implicit", tlsLogins[proto]), "{"+proto+":", "{"+proto+"s:", 1)
			inTempCourse(t, map[string]string{"tls.md": lab})
			env := map[string]string{"BOB_PASSWORD": "Zq9-not-for-clear-text"}
			status, stdout, stderr := runCLI(t, env, "", "run", "labs/tls.md")
			if status == exitOK || !strings.Contains(stdout+stderr, "TLS handshake failed") {
				t.Errorf("exit %d:\n%s\n%s", status, stdout, stderr)
			}
			if got := srv.Received(); strings.Contains(got, "bob") || strings.Contains(got, "CAPA") || strings.Contains(got, "EHLO") || strings.Contains(got, "CAPABILITY") {
				t.Errorf("the server received a client line in clear: %q", got)
			}
		})
	}
}
