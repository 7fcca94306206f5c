package smtpd_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols/smtp/smtpd"
	"github.com/wirebook/wirebook/protocols/smtp/smtpd/smtpdtest"
)

// Real third-party clients against the server: Python's smtplib and curl.

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s", name, err, out)
	}
	return string(out)
}

func hostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

// checkDelivered fails unless user's INBOX holds exactly one message,
// containing each of wants.
func checkDelivered(t *testing.T, lab *smtpdtest.Lab, user string, wants ...string) {
	t.Helper()
	msgs := lab.Inbox(t, user)
	if len(msgs) != 1 {
		t.Fatalf("%s has %d messages, want 1", user, len(msgs))
	}
	for _, want := range wants {
		if !strings.Contains(string(msgs[0].Data), want) {
			t.Errorf("message to %s =\n%s\nwant it to contain %q", user, msgs[0].Data, want)
		}
	}
}

const pySend = `
import smtplib, ssl, sys
mode, host, port, cafile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
msg = "From: bob@example.com\r\nTo: alice@example.com\r\nSubject: via smtplib " + mode + "\r\n\r\n.hello\r\n"
ctx = ssl.create_default_context(cafile=cafile) if cafile else None
if mode == "plain":
    s = smtplib.SMTP(host, port)
    refused = s.sendmail("bob@example.com", ["alice@example.com", "carol@example.com"], msg)
    print("refused", sorted(refused))
elif mode == "starttls":
    s = smtplib.SMTP(host, port)
    s.starttls(context=ctx)
    s.login("bob", "bob-pw")
    s.sendmail("bob@example.com", ["alice@example.com"], msg)
elif mode == "smtps":
    s = smtplib.SMTP_SSL(host, port, context=ctx)
    s.ehlo()
    s.user, s.password = "bob@example.com", "bob-pw"
    code, _ = s.auth("LOGIN", s.auth_login)
    print("login", code)
    s.sendmail("bob@example.com", ["alice@example.com"], msg)
elif mode == "wrongpw":
    s = smtplib.SMTP(host, port)
    s.starttls(context=ctx)
    try:
        s.login("bob", "not-the-password")
        print("logged in")
    except smtplib.SMTPAuthenticationError as e:
        print("auth error", e.smtp_code, e.smtp_error.decode())
s.quit()
print("ok")
`

func TestPythonSmtplib(t *testing.T) {
	bundle, caFile := smtpdtest.TLS(t)
	tests := []struct {
		name     string
		implicit bool
		wantOut  string
		wantMsg  []string // in alice's message; nil: nothing delivered
	}{
		{"plain", false, "refused ['carol@example.com']\nok\n",
			[]string{"with ESMTP id Q00001", "Delivered-To: alice@example.com\r\n", "Subject: via smtplib plain\r\nMessage-Id: <20260105090000.Q00001@mail.example.com>\r\nDate: Mon,  5 Jan 2026 09:00:00 +0000 (UTC)\r\n\r\n.hello\r\n"}},
		{"starttls", false, "ok\n",
			[]string{"with ESMTPSA id Q00001", "Subject: via smtplib starttls"}},
		{"smtps", true, "login 235\nok\n",
			[]string{"with ESMTPSA id Q00001", "Subject: via smtplib smtps"}},
		{"wrongpw", false, "auth error 535 5.7.8 Authentication credentials invalid\nok\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smtpd.Config{TLS: bundle.ServerConfig()}
			lab := smtpdtest.Start
			if tt.implicit {
				lab = smtpdtest.StartImplicitTLS
			}
			l := lab(t, cfg)
			host, port := hostPort(t, l.Addr)
			ca := caFile
			if tt.name == "plain" {
				ca = ""
			}
			if got := runTool(t, "python3", "-c", pySend, tt.name, host, port, ca); got != tt.wantOut {
				t.Errorf("python output = %q, want %q", got, tt.wantOut)
			}
			if tt.wantMsg == nil {
				if n := len(l.Inbox(t, "alice")); n != 0 {
					t.Errorf("alice has %d messages, want 0", n)
				}
				return
			}
			checkDelivered(t, l, "alice", tt.wantMsg...)
		})
	}
}

func TestCurl(t *testing.T) {
	bundle, caFile := smtpdtest.TLS(t)
	mail := filepath.Join(t.TempDir(), "mail.txt")
	// CRLF line ends: curl dot-stuffs only after a CRLF.
	if err := os.WriteFile(mail, []byte("From: bob@example.com\r\nTo: alice@example.com\r\nSubject: via curl\r\n\r\n.dot first\r\nbye\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		implicit bool
		scheme   string
		args     []string
		with     string
	}{
		{"plain", false, "smtp", nil, "with ESMTP id"},
		{"STARTTLS and AUTH", false, "smtp", []string{"--ssl-reqd", "--cacert", caFile, "--user", "bob:bob-pw"}, "with ESMTPSA id"},
		{"implicit TLS and AUTH", true, "smtps", []string{"--cacert", caFile, "--user", "bob@example.com:bob-pw"}, "with ESMTPSA id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smtpd.Config{TLS: bundle.ServerConfig()}
			start := smtpdtest.Start
			if tt.implicit {
				start = smtpdtest.StartImplicitTLS
			}
			lab := start(t, cfg)
			args := append([]string{"-sS", "--url", tt.scheme + "://" + lab.Addr,
				"--mail-from", "bob@example.com", "--mail-rcpt", "alice@example.com", "--upload-file", mail}, tt.args...)
			runTool(t, "curl", args...)
			checkDelivered(t, lab, "alice", tt.with,
				"Subject: via curl\r\nMessage-Id: <20260105090000.Q00001@mail.example.com>\r\nDate: Mon,  5 Jan 2026 09:00:00 +0000 (UTC)\r\n\r\n.dot first\r\nbye\r\n")
		})
	}
}

func TestCurlRelayRefused(t *testing.T) {
	lab := smtpdtest.Start(t, smtpd.Config{})
	mail := filepath.Join(t.TempDir(), "mail.txt")
	if err := os.WriteFile(mail, []byte("Subject: relay\n\nno\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("curl", "-sS", "--url", "smtp://"+lab.Addr,
		"--mail-from", "bob@example.com", "--mail-rcpt", "someone@example.net", "--upload-file", mail).CombinedOutput()
	if err == nil {
		t.Fatalf("curl succeeded relaying to example.net; output %s", out)
	}
	if !strings.Contains(string(out), "554") {
		t.Errorf("curl output = %q, want the 554 relay refusal", out)
	}
}

// smtplib with the AUTH= MAIL parameter and a 5,000-character line, which
// Postfix takes (issue 12).
const pyAuthParam = `
import smtplib, sys
host, port = sys.argv[1], int(sys.argv[2])
s = smtplib.SMTP(host, port)
s.ehlo("client.example.org")
s.login("bob", "bob-pw")
msg = "Subject: long\r\n\r\n" + "z" * 5000 + "\r\n"
s.sendmail("bob@example.com", ["alice@example.com"], msg, mail_options=["AUTH=<bob@example.com>"])
print(s.quit()[0])
`

func TestPythonSmtplibAuthParameterAndLongLine(t *testing.T) {
	l := smtpdtest.Start(t, smtpd.Config{AllowInsecureAuth: true})
	host, port := hostPort(t, l.Addr)
	if got := runTool(t, "python3", "-c", pyAuthParam, host, port); got != "221\n" {
		t.Errorf("python output = %q, want 221", got)
	}
	checkDelivered(t, l, "alice", "with ESMTPA id Q00001", "\r\n\r\n"+strings.Repeat("z", 998)+"\r\n "+strings.Repeat("z", 997)+"\r\n ")
}
