package httpd

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols/mailstore"
)

// rawGet sends one request with extra header lines and returns the raw
// response.
func rawGet(t *testing.T, srv *httptest.Server, method, target string, headers ...string) string {
	t.Helper()
	req := method + " " + target + " HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	return rawExchange(t, srv.Listener.Addr().String(), req+"\r\n")
}

// The answers nginx 1.22 gives to the same requests (measured on the
// interop nginx, issue 12): 206 without Accept-Ranges, 416 with
// "bytes */size", numbered multipart boundaries, 400 for "OPTIONS *".
func TestRangeAndOptionsAsNginx(t *testing.T) {
	srv := httptest.NewUnstartedServer(New(Config{Clock: mailstore.NewStepClock()}))
	srv.Config.DisableGeneralOptionsHandler = true // as labserver sets it
	srv.Start()
	t.Cleanup(srv.Close)
	const hello = "hello from the wirebook lab server\n" // 35 bytes
	tests := []struct {
		name    string
		method  string
		target  string
		headers []string
		want    []string // substrings, in order
		not     []string
	}{
		{"one range", "GET", "/hello.txt", []string{"Range: bytes=0-4"},
			[]string{"HTTP/1.1 206 Partial Content\r\n", "Content-Length: 5\r\n", "Content-Range: bytes 0-4/35\r\n", "\r\n\r\nhello"}, []string{"Accept-Ranges"}},
		{"suffix", "GET", "/hello.txt", []string{"Range: bytes=-7"},
			[]string{"206 Partial Content", "Content-Range: bytes 28-34/35\r\n", "\r\n\r\nserver\n"}, nil},
		{"open end", "GET", "/hello.txt", []string{"Range: bytes=30-"},
			[]string{"206 Partial Content", "Content-Range: bytes 30-34/35\r\n", "\r\n\r\nrver\n"}, nil},
		{"HEAD", "HEAD", "/hello.txt", []string{"Range: bytes=0-4"},
			[]string{"206 Partial Content", "Content-Length: 5\r\n", "Content-Range: bytes 0-4/35\r\n"}, nil},
		{"beyond the end", "GET", "/hello.txt", []string{"Range: bytes=99-"},
			[]string{"HTTP/1.1 416 Requested Range Not Satisfiable\r\n", "Content-Range: bytes */35\r\n", "text/html"}, []string{"ETag"}},
		{"malformed", "GET", "/hello.txt", []string{"Range: bytes=abc"}, []string{"416 Requested Range Not Satisfiable"}, nil},
		{"reversed", "GET", "/hello.txt", []string{"Range: bytes=5-2"}, []string{"416 Requested Range Not Satisfiable"}, nil},
		{"two ranges", "GET", "/hello.txt", []string{"Range: bytes=0-1,6-9"},
			[]string{"206 Partial Content", "Content-Type: multipart/byteranges; boundary=00000000000000000001\r\n",
				"\r\n\r\n\r\n--00000000000000000001\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-1/35\r\n\r\nhe" +
					"\r\n--00000000000000000001\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 6-9/35\r\n\r\nfrom" +
					"\r\n--00000000000000000001--\r\n"}, nil},
		{"If-Range of another version", "GET", "/hello.txt", []string{"Range: bytes=0-4", `If-Range: "other"`},
			[]string{"200 OK", "Accept-Ranges: bytes\r\n", "\r\n\r\n" + hello}, nil},
		{"not a byte range", "GET", "/hello.txt", []string{"Range: items=0-4"}, []string{"200 OK", "\r\n\r\n" + hello}, nil},
		{"full response", "GET", "/hello.txt", nil, []string{"200 OK", "Accept-Ranges: bytes\r\n"}, nil},
		{"OPTIONS *", "OPTIONS", "*", nil, []string{"HTTP/1.1 400 Bad Request\r\n", "text/html"}, nil},
		{"OPTIONS of a path", "OPTIONS", "/", nil, []string{"HTTP/1.1 405 Method Not Allowed\r\n"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rawGet(t, srv, tt.method, tt.target, tt.headers...)
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("response lacks %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("response has %q:\n%s", n, got)
				}
			}
		})
	}
	// curl's --range, as a student would try it.
	out, err := runTool(t, "curl", "-sS", "--max-time", "10", "-r", "6-9", srv.URL+"/hello.txt")
	if err != nil || out != "from" {
		t.Errorf("curl -r 6-9 = %q, %v; want \"from\"", out, err)
	}
}
