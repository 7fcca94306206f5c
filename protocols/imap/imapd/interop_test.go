package imapd

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// runPython runs script with the server's host, port and CA file as
// argv[1:], and decodes the JSON it prints.
func runPython(t *testing.T, ts *testServer, script string, out any) {
	t.Helper()
	host, port, _ := net.SplitHostPort(ts.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "-c", script, host, port, ts.caFile)
	stdout, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("python3: %v\n%s\n%s", err, stdout, stderr)
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("python output %q: %v", stdout, err)
	}
}

// The lecture's imaplib walk-through, call for call.
const lectureScript = `
import email, imaplib, json, sys
host, port = sys.argv[1], int(sys.argv[2])
out = {}
conn = imaplib.IMAP4(host, port)
out['login'] = conn.login('alice', 'alice-pw')[0]
typ, data = conn.list()
out['list'] = [d.decode() for d in data]
typ, data = conn.status('INBOX', '(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)')
out['status'] = data[0].decode()
typ, data = conn.select('INBOX')
out['select'] = data[0].decode()
typ, data = conn.search(None, '(FROM "IPIP")')
out['search'] = data[0].decode()
typ, data = conn.fetch('1', '(BODY[HEADER])')
out['header'] = data[0][1].decode()
typ, data = conn.fetch('1', '(BODY[TEXT])')
out['text'] = data[0][1].decode()
typ, data = conn.fetch('1', '(FLAGS)')
out['flags'] = data[0].decode()
typ, data = conn.fetch('3', '(RFC822)')
for part in data:
    if isinstance(part, tuple):
        msg = email.message_from_bytes(part[1])
out['rfc822_to'] = msg['to']
out['rfc822_payload'] = msg.get_payload()
typ, data = conn.store('2', '+FLAGS', '\\Deleted')
out['store'] = data[0].decode()
typ, data = conn.expunge()
out['expunge'] = [d.decode() for d in data]
typ, data = conn.append('INBOX', '(\\Seen)', None, b'Subject: appended\r\n\r\nby imaplib\r\n')
out['append'] = data[0].decode()
typ, data = conn.uid('FETCH', '4', '(BODY.PEEK[TEXT])')
out['uid_fetch'] = data[0][1].decode()
out['close'] = conn.close()[0]
out['logout'] = conn.logout()[0]
print(json.dumps(out))
`

func TestPythonImaplibLecture(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	var got map[string]any
	runPython(t, ts, lectureScript, &got)
	header, body, _ := strings.Cut(msgPlain, "\r\n\r\n")
	want := map[string]any{
		"login":          "OK",
		"list":           []any{`(\HasNoChildren) "/" INBOX`},
		"status":         "INBOX (MESSAGES 3 RECENT 3 UIDNEXT 4 UIDVALIDITY 1700000000 UNSEEN 3)",
		"select":         "3",
		"search":         "2",
		"header":         header + "\r\n\r\n",
		"text":           body,
		"flags":          `1 (FLAGS (\Seen \Recent))`,
		"rfc822_to":      "alice@example.com",
		"rfc822_payload": "Noon works. See you at the IPIP cafe.\r\n",
		"store":          `2 (FLAGS (\Deleted \Recent))`,
		"expunge":        []any{"2"},
		"append":         "[APPENDUID 1700000000 4] Append completed.",
		"uid_fetch":      "by imaplib\r\n",
		"close":          "OK",
		"logout":         "BYE",
	}
	for key, w := range want {
		if !reflect.DeepEqual(got[key], w) {
			t.Errorf("%s = %#v, want %#v", key, got[key], w)
		}
	}
}

const tlsScript = `
import imaplib, json, ssl, sys
host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
mode = sys.argv[4]
ctx = ssl.create_default_context(cafile=cafile)
out = {}
if mode == 'starttls':
    conn = imaplib.IMAP4(host, port)
    out['before'] = sorted(conn.capabilities)
    out['starttls'] = conn.starttls(ssl_context=ctx)[0]
else:
    conn = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
out['after'] = sorted(conn.capabilities)
try:
    conn.login('alice', 'wrong')
    out['wrong'] = 'no error'
except imaplib.IMAP4.error as e:
    out['wrong'] = str(e)
out['login'] = conn.login('bob@example.com', 'bob-pw')[0]
typ, data = conn.select('INBOX', readonly=True)
out['select'] = data[0].decode()
out['logout'] = conn.logout()[0]
print(json.dumps(out))
`

func TestPythonImaplibTLS(t *testing.T) {
	tests := []struct {
		name string
		opt  serverOptions
		want map[string]any
	}{
		{"starttls", serverOptions{tls: true, secureOnly: true}, map[string]any{
			"before":   []any{"CHILDREN", "ENABLE", "ID", "IDLE", "IMAP4REV1", "LIST-EXTENDED", "LIST-STATUS", "LITERAL+", "LOGINDISABLED", "MOVE", "NAMESPACE", "SASL-IR", "STARTTLS", "UIDPLUS", "UNAUTHENTICATE", "UNSELECT"},
			"starttls": "OK",
			"after":    []any{"AUTH=PLAIN", "CHILDREN", "ENABLE", "ID", "IDLE", "IMAP4REV1", "LIST-EXTENDED", "LIST-STATUS", "LITERAL+", "MOVE", "NAMESPACE", "SASL-IR", "UIDPLUS", "UNAUTHENTICATE", "UNSELECT"},
			"wrong":    "b'[AUTHENTICATIONFAILED] Authentication failed.'",
			"login":    "OK",
			"select":   "0",
			"logout":   "BYE",
		}},
		{"imaps", serverOptions{implicitTLS: true, secureOnly: true}, map[string]any{
			"after":  []any{"AUTH=PLAIN", "CHILDREN", "ENABLE", "ID", "IDLE", "IMAP4REV1", "LIST-EXTENDED", "LIST-STATUS", "LITERAL+", "MOVE", "NAMESPACE", "SASL-IR", "UIDPLUS", "UNAUTHENTICATE", "UNSELECT"},
			"wrong":  "b'[AUTHENTICATIONFAILED] Authentication failed.'",
			"login":  "OK",
			"select": "0",
			"logout": "BYE",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, tt.opt)
			var got map[string]any
			runPython(t, ts, strings.Replace(tlsScript, "mode = sys.argv[4]", "mode = '"+tt.name+"'", 1), &got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func runCurl(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", append([]string{"-sS", "--max-time", "10"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestCurl(t *testing.T) {
	ts := newTestServer(t, serverOptions{tls: true})
	base := "imap://" + ts.addr + "/"
	t.Run("list", func(t *testing.T) {
		got := runCurl(t, "-u", "alice:alice-pw", base)
		if want := "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"; got != want {
			t.Errorf("curl list = %q, want %q", got, want)
		}
	})
	t.Run("fetch by UID over STARTTLS", func(t *testing.T) {
		got := runCurl(t, "--ssl-reqd", "--cacert", ts.caFile, "-u", "alice:alice-pw", base+"INBOX;UID=1")
		if got != msgPlain {
			t.Errorf("curl fetch = %q, want %q", got, msgPlain)
		}
	})
	t.Run("search", func(t *testing.T) {
		got := runCurl(t, "-u", "alice:alice-pw", base+"INBOX?SUBJECT%20lunch")
		if want := "* SEARCH 1 3\r\n"; got != want {
			t.Errorf("curl search = %q, want %q", got, want)
		}
	})
	t.Run("append", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "upload.eml")
		upload := "Subject: uploaded by curl\r\n\r\nhello\r\n"
		if err := os.WriteFile(file, []byte(upload), 0o600); err != nil {
			t.Fatal(err)
		}
		runCurl(t, "-u", "bob:bob-pw", "-T", file, base+"INBOX")
		msgs, _, err := ts.store.Messages("bob", "INBOX")
		if err != nil || len(msgs) != 1 || string(msgs[0].Data) != upload {
			t.Errorf("bob's INBOX after curl -T = %v, %v; want the upload", msgs, err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		out, err := exec.Command("curl", "-sS", "--max-time", "10", "-u", "alice:nope", base).CombinedOutput()
		if err == nil {
			t.Errorf("curl with a wrong password succeeded: %q", out)
		}
		if !strings.Contains(string(out), "Login denied") {
			t.Errorf("curl output = %q, want a login failure", out)
		}
	})
}

// What mail programs built on imaplib use beyond the lecture: NAMESPACE,
// a hierarchy, LSUB, keywords, \Recent after APPEND, MOVE, UNSELECT and
// the ID of the server.
const extensionsScript = `
import imaplib, json, sys
host, port = sys.argv[1], int(sys.argv[2])
out = {}
conn = imaplib.IMAP4(host, port)
out['id'] = conn.xatom('ID', 'NIL')[0]
out['id_data'] = conn.response('ID')[1][0].decode()
conn.login('alice', 'alice-pw')
out['namespace'] = conn.namespace()[1][0].decode()
out['create'] = conn.create('Projects/2026')[0]
out['subscribe'] = conn.subscribe('Projects/2026')[0]
out['list'] = [d.decode() for d in conn.list('""', '%')[1]]
out['lsub'] = [d.decode() for d in conn.lsub('""', '%')[1]]
typ, data = conn.select('INBOX')
conn.append('INBOX', '($Todo)', None, b'Subject: todo\r\n\r\nx\r\n')
out['flags'] = conn.response('FLAGS')[1][-1].decode()
typ, data = conn.fetch('4', '(FLAGS)')
out['fetch'] = data[0].decode()
typ, data = conn.uid('MOVE', '4', 'Projects/2026')
out['move'] = typ
out['unselect'] = conn.unselect()[0]
typ, data = conn.status('Projects/2026', '(MESSAGES RECENT)')
out['status'] = data[0].decode()
out['logout'] = conn.logout()[0]
print(json.dumps(out))
`

func TestPythonImaplibExtensions(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	var got map[string]any
	runPython(t, ts, extensionsScript, &got)
	want := map[string]any{
		"id":        "OK",
		"id_data":   `("name" "wirebook" "vendor" "wirebook lab servers")`,
		"namespace": `(("" "/")) NIL NIL`,
		"create":    "OK",
		"subscribe": "OK",
		"list":      []any{`(\HasNoChildren) "/" INBOX`, `(\Noselect \HasChildren) "/" Projects`},
		"lsub":      []any{`(\Noselect) "/" Projects`},
		"flags":     `(\Answered \Flagged \Deleted \Seen \Draft $Todo)`,
		"fetch":     `4 (FLAGS ($Todo \Recent))`,
		"move":      "OK",
		"unselect":  "OK",
		"status":    `Projects/2026 (MESSAGES 1 RECENT 1)`,
		"logout":    "BYE",
	}
	for key, w := range want {
		if !reflect.DeepEqual(got[key], w) {
			t.Errorf("%s = %#v, want %#v", key, got[key], w)
		}
	}
}
