package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The seed lecture's Python sessions, in Python 3, against `wirebook
// servers`: only the host, port and TLS context differ.
const lectureClient = `
import sys, ssl, smtplib, imaplib, email, email.utils
from email.mime.text import MIMEText
smtp_addr, imaps_addr, ca = sys.argv[1], sys.argv[2], sys.argv[3]
host, port = smtp_addr.rsplit(':', 1)
ctx = ssl.create_default_context(cafile=ca)

server = smtplib.SMTP(host, int(port))
server.set_debuglevel(False)
server.ehlo()
assert server.has_extn('STARTTLS')
server.starttls(context=ctx)
server.ehlo()
server.login('alice', 'alice-pw')
msg = MIMEText("This is an email message")
msg['From'] = email.utils.formataddr(("Alice", "alice@example.com"))
msg['To'] = email.utils.formataddr(("Bob", "bob@example.com"))
msg['Subject'] = "Simple Test"
server.sendmail("alice@example.com", ["bob@example.com"], msg.as_string())
server.close()

host, port = imaps_addr.rsplit(':', 1)
conn = imaplib.IMAP4_SSL(host, int(port), ssl_context=ctx)
print(conn.login('bob', 'bob-pw'))
print(conn.list())
print(conn.status('INBOX', '(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)'))
print(conn.select('INBOX'))
typ, data = conn.search(None, '(FROM "Alice")')
print(typ, data)
print(conn.fetch(data[0].split()[0], '(BODY[HEADER])')[0])
typ, data = conn.fetch('1', '(RFC822)')
for part in data:
    if isinstance(part, tuple):
        got = email.message_from_bytes(part[1])
print("TO", got['to'])
print("BODY", got.get_payload())
conn.logout()
`

func TestServersWorkWithTheLecturesPython(t *testing.T) {
	dir := inTempCourse(t, nil)
	srv := startServers(t, nil, "--port-base", "0")
	defer srv.stop(t)
	if !strings.HasPrefix(srv.ca, filepath.Join(dir, "xdg-cache")) {
		t.Errorf("lab CA kept outside the user cache dir: %s", srv.ca)
	}
	cmd := exec.Command("python3", "-c", lectureClient, srv.addrs["smtp"], srv.addrs["imaps"], srv.ca)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	for _, want := range []string{"Logged in.", "TO Bob <bob@example.com>", "BODY This is an email message", "UIDVALIDITY"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("python output lacks %q:\n%s", want, out)
		}
	}
}
