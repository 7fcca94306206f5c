package httpd

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols/labtls"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

// servers starts the handler over plain HTTP and over TLS with the lab
// certificate, and writes the lab CA where clients can read it.
func servers(t *testing.T) (plain, secure *httptest.Server, caFile string) {
	t.Helper()
	b, err := labtls.New()
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "lab-ca.pem")
	if err := os.WriteFile(caFile, b.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	plain = newServer(t, Config{})
	secure = httptest.NewUnstartedServer(New(Config{Clock: mailstore.NewStepClock()}))
	secure.TLS = b.ServerConfig()
	secure.StartTLS()
	t.Cleanup(secure.Close)
	return plain, secure, caFile
}

func runTool(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func TestCurl(t *testing.T) {
	plain, secure, caFile := servers(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"GET", []string{"-i", plain.URL + "/hello.txt"},
			[]string{"HTTP/1.1 200 OK\r\n", "Server: wirebook-lab/1\r\n", "Date: Mon, 05 Jan 2026 09:00:00 GMT\r\n", "\r\n\r\nhello from the wirebook lab server\n"}},
		{"HEAD of a directory", []string{"-I", plain.URL + "/docs"},
			[]string{"HTTP/1.1 301 Moved Permanently\r\n", "Location: /docs/\r\n"}},
		{"follow the redirect", []string{"-L", plain.URL + "/_lab/redirect?to=/docs/"},
			[]string{"<h1>Lab documents</h1>"}},
		{"POST to echo", []string{"-d", "ping", plain.URL + "/_lab/echo"},
			[]string{"POST /_lab/echo HTTP/1.1\n", "User-Agent: curl/", "Content-Type: application/x-www-form-urlencoded\n", "\n\nping"}},
		{"chunked, raw", []string{"--raw", "-i", plain.URL + "/_lab/chunked"},
			[]string{"Transfer-Encoding: chunked\r\n", fmt.Sprintf("\r\n\r\n%x\r\n%s\r\n", len(chunkTexts[0]), chunkTexts[0]), "\r\n0\r\n\r\n"}},
		{"https with the lab CA", []string{"-i", "--cacert", caFile, secure.URL + "/hello.txt"},
			[]string{"HTTP/1.1 200 OK\r\n", "hello from the wirebook lab server\n"}},
		{"https by name", []string{"--cacert", caFile, "--resolve", "www.example.com:" + port(secure) + ":127.0.0.1",
			"https://www.example.com:" + port(secure) + "/"}, []string{"<h1>Hello from the wirebook lab server</h1>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runTool(t, "curl", append([]string{"-sS", "--max-time", "10"}, tt.args...)...)
			if err != nil {
				t.Fatalf("curl %s: %v\n%s", strings.Join(tt.args, " "), err, out)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("curl output %q lacks %q", out, want)
				}
			}
		})
	}
	t.Run("https without the lab CA is refused", func(t *testing.T) {
		out, err := runTool(t, "curl", "-sS", "--max-time", "10", secure.URL+"/")
		if err == nil || !strings.Contains(out, "certificate") {
			t.Errorf("curl without --cacert: err %v, output %q; want a certificate error", err, out)
		}
	})
}

func port(s *httptest.Server) string {
	return s.URL[strings.LastIndexByte(s.URL, ':')+1:]
}

const pythonClient = `
import http.client, ssl, sys
port, tport, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def show(c, method, path, body=None, headers={}):
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    print(method, path, r.status, r.reason, r.getheader("Content-Type"), r.getheader("Content-Length"), repr(data[:30]))

c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
show(c, "GET", "/hello.txt")
show(c, "HEAD", "/")
show(c, "GET", "/_lab/chunked")
show(c, "POST", "/_lab/echo", body=b"ping", headers={"X-Test": "yes"})
show(c, "GET", "/_lab/status/204")
show(c, "GET", "/nope")
show(c, "PUT", "/hello.txt", body=b"x")
c.close()
ctx = ssl.create_default_context(cafile=ca)
s = http.client.HTTPSConnection("localhost", tport, context=ctx, timeout=10)
show(s, "GET", "/hello.txt")
print(s.sock.version())
s.close()
`

func TestPythonHTTPClient(t *testing.T) {
	plain, secure, caFile := servers(t)
	out, err := runTool(t, "python3", "-c", pythonClient, port(plain), port(secure), caFile)
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	want := strings.Join([]string{
		`GET /hello.txt 200 OK text/plain; charset=utf-8 35 b'hello from the wirebook lab se'`,
		`HEAD / 200 OK text/html; charset=utf-8 279 b''`,
		`GET /_lab/chunked 200 OK text/plain; charset=utf-8 None b'This body comes in chunks.\nEac'`,
		`POST /_lab/echo 200 OK text/plain; charset=utf-8 ` + fmt.Sprint(103+len(port(plain))) + ` b'POST /_lab/echo HTTP/1.1\nHost:'`,
		`GET /_lab/status/204 204 No Content None None b''`,
		`GET /nope 404 Not Found text/html; charset=utf-8 161 b'<!DOCTYPE html>\n<html><head><t'`,
		`PUT /hello.txt 405 Method Not Allowed text/html; charset=utf-8 191 b'<!DOCTYPE html>\n<html><head><t'`,
		`GET /hello.txt 200 OK text/plain; charset=utf-8 35 b'hello from the wirebook lab se'`,
		`TLSv1.3`,
	}, "\n") + "\n"
	if out != want {
		t.Errorf("python3 http.client printed:\n%s\nwant:\n%s", out, want)
	}
}
