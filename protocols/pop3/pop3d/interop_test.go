package pop3d

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols/mailstore"
)

// python runs script with python3 and the given arguments and returns its
// standard output; a failing script fails the test with its stderr.
func python(t *testing.T, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command("python3", append([]string{"-c", script}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	return string(out)
}

func caFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lab-ca.pem")
	if err := os.WriteFile(path, bundle(t).CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func hostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

const poplibSession = `
import json, poplib, sys
host, port = sys.argv[1], int(sys.argv[2])
out = {}
p = poplib.POP3(host, port, timeout=10)
out["welcome"] = p.getwelcome().decode()
p.user("alice")
out["pass"] = p.pass_("alice-pw").decode()
out["stat"] = list(p.stat())
resp, listing, _ = p.list()
out["list"] = [l.decode() for l in listing]
resp, lines, octets = p.retr(2)
out["retr"] = [l.decode() for l in lines]
out["dele"] = p.dele(1).decode()
out["quit"] = p.quit().decode()
p = poplib.POP3(host, port, timeout=10)
p.user("alice")
p.pass_("alice-pw")
out["after"] = list(p.stat())
out["uidl"] = [l.decode() for l in p.uidl()[1]]
p.quit()
print(json.dumps(out))
`

func TestPythonPoplib(t *testing.T) {
	addr, _ := start(t, Config{}, false)
	host, port := hostPort(t, addr)
	var got struct {
		Welcome, Pass, Dele, Quit string
		Stat, After               []int
		List, Retr, UIDL          []string
	}
	if err := json.Unmarshal([]byte(python(t, poplibSession, host, port)), &got); err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"welcome", got.Welcome, greeting},
		{"pass_", got.Pass, "+OK alice's maildrop has 2 messages (" + itoa(len(msg1)+len(msg2)) + " octets)."},
		{"stat", jsonText(got.Stat), jsonText([]int{2, len(msg1) + len(msg2)})},
		{"list", jsonText(got.List), jsonText([]string{"1 " + itoa(len(msg1)), "2 " + itoa(len(msg2))})},
		// poplib undoes the dot-stuffing: ".dotted" comes back as sent.
		{"retr", jsonText(got.Retr), jsonText([]string{"From: bob@example.com", "To: alice@example.com", "Subject: two", "", "line 1", ".dotted", "line 3"})},
		{"dele", got.Dele, "+OK Message 1 marked for deletion; it goes at QUIT."},
		{"quit", got.Quit, "+OK mail.example.com POP3 server signing off (1 message left)."},
		{"stat in a new session", jsonText(got.After), jsonText([]int{1, len(msg2)})},
		{"uidl in a new session", jsonText(got.UIDL), jsonText([]string{fmt.Sprintf("1 %08x%08x", 2, mailstore.DefaultUIDValidity)})},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
}

const poplibWrongPassword = `
import poplib, sys
p = poplib.POP3(sys.argv[1], int(sys.argv[2]), timeout=10)
p.user("alice")
try:
    p.pass_("wrong")
    print("no error")
except poplib.error_proto as e:
    print("error_proto", e.args[0].decode())
# The connection stays usable after a failed login.
p.user("alice")
print(p.pass_("alice-pw").decode())
p.quit()
`

func TestPythonPoplibWrongPassword(t *testing.T) {
	addr, _ := start(t, Config{}, false)
	host, port := hostPort(t, addr)
	got := python(t, poplibWrongPassword, host, port)
	want := "error_proto -ERR [AUTH] Invalid user name or password.\n+OK alice's maildrop has 2 messages (" + itoa(len(msg1)+len(msg2)) + " octets).\n"
	if got != want {
		t.Errorf("poplib output:\n%s\nwant:\n%s", got, want)
	}
}

const poplibSTLS = `
import poplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[3])
p = poplib.POP3(sys.argv[1], int(sys.argv[2]), timeout=10)
caps = p.capa()
print("STLS offered:", "STLS" in caps)
print(p.stls(ctx).decode())
print("STLS after TLS:", "STLS" in p.capa())
p.user("bob")
print(p.pass_("bob-pw").decode())
print(p.stat())
p.quit()
`

func TestPythonPoplibSTLS(t *testing.T) {
	addr, _ := start(t, Config{TLS: bundle(t).ServerConfig(), AllowInsecureAuth: new(false)}, false)
	host, port := hostPort(t, addr)
	got := python(t, poplibSTLS, host, port, caFile(t))
	want := "STLS offered: True\n+OK Begin TLS negotiation now.\nSTLS after TLS: False\n" +
		"+OK bob's maildrop has 1 message (" + itoa(len(msg3)) + " octets).\n(1, " + itoa(len(msg3)) + ")\n"
	if got != want {
		t.Errorf("poplib output:\n%s\nwant:\n%s", got, want)
	}
}

const poplibSSL = `
import poplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[3])
p = poplib.POP3_SSL(sys.argv[1], int(sys.argv[2]), context=ctx, timeout=10)
print(p.getwelcome().decode())
print(p.sock.version().startswith("TLS"))
p.user("bob")
print(p.pass_("bob-pw").decode())
resp, lines, _ = p.top(1, 0)
print(lines[-2].decode(), len(lines))
p.quit()
`

func TestPythonPoplibSSL(t *testing.T) {
	addr, _ := start(t, Config{TLS: bundle(t).ServerConfig(), AllowInsecureAuth: new(false)}, true)
	host, port := hostPort(t, addr)
	got := python(t, poplibSSL, host, port, caFile(t))
	want := greeting + "\nTrue\n+OK bob's maildrop has 1 message (" + itoa(len(msg3)) + " octets).\nSubject: for bob 4\n"
	if got != want {
		t.Errorf("poplib output:\n%s\nwant:\n%s", got, want)
	}
}

// curl runs curl with args and returns its standard output.
func curl(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("curl", append([]string{"--silent", "--show-error", "--max-time", "10"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

func TestCurl(t *testing.T) {
	ca := caFile(t)
	tests := []struct {
		name   string
		config Config
		args   []string // after the URL
		path   string
		want   string
	}{
		{"list", Config{}, nil, "/", "1 " + itoa(len(msg1)) + "\r\n2 " + itoa(len(msg2)) + "\r\n"},
		// curl undoes the dot-stuffing of RETR.
		{"retrieve", Config{}, nil, "/2", msg2},
		{"retrieve over STLS", Config{TLS: bundle(t).ServerConfig(), AllowInsecureAuth: new(false)}, []string{"--ssl-reqd", "--cacert", ca}, "/1", msg1},
		// curl's ;AUTH=LOGIN, the mechanism many mail programs pick.
		{"AUTH LOGIN", Config{}, []string{"--login-options", "AUTH=LOGIN"}, "/1", msg1},
		{"AUTH PLAIN", Config{}, []string{"--login-options", "AUTH=PLAIN"}, "/2", msg2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, _ := start(t, tt.config, false)
			args := append([]string{"pop3://" + addr + tt.path, "--user", "alice:alice-pw"}, tt.args...)
			if got := curl(t, args...); got != tt.want {
				t.Errorf("curl output = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCurlImplicitTLS(t *testing.T) {
	addr, _ := start(t, Config{TLS: bundle(t).ServerConfig()}, true)
	got := curl(t, "pop3s://"+addr+"/1", "--user", "alice:alice-pw", "--cacert", caFile(t))
	if got != msg1 {
		t.Errorf("curl pop3s output = %q, want %q", got, msg1)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
