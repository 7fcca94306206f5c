package httpd

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wirebook/wirebook/protocols/mailstore"
)

// newServer serves a handler over the built-in site with a lab clock on
// 127.0.0.1:0.
func newServer(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = mailstore.NewStepClock()
	}
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	return srv
}

// rawExchange sends raw request bytes and returns everything the server
// sends until it closes.
func rawExchange(t *testing.T, addr, req string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	return string(got)
}

func TestRoutes(t *testing.T) {
	srv := newServer(t, Config{})
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	tests := []struct {
		method, path string
		wantStatus   int
		wantHeader   map[string]string
		wantBody     string // substring
	}{
		{"GET", "/", 200, map[string]string{"Content-Type": "text/html; charset=utf-8", "Server": "wirebook-lab/1"}, "<h1>Hello from the wirebook lab server</h1>"},
		{"GET", "/hello.txt", 200, map[string]string{"Content-Type": "text/plain; charset=utf-8", "Content-Length": "35",
			"Last-Modified": "Mon, 05 Jan 2026 09:00:00 GMT", "ETag": `"` + etagOf(t, "hello from the wirebook lab server\n") + `"`}, "hello from the wirebook lab server\n"},
		{"HEAD", "/hello.txt", 200, map[string]string{"Content-Length": "35"}, ""},
		{"GET", "/docs", 301, map[string]string{"Location": "/docs/"}, "301 Moved Permanently"},
		{"GET", "/docs?x=1", 301, map[string]string{"Location": "/docs/?x=1"}, ""},
		{"GET", "/docs/", 200, nil, "<h1>Lab documents</h1>"},
		{"GET", "/hello.txt/", 404, nil, "404 Not Found"},
		{"GET", "/missing", 404, map[string]string{"Content-Type": "text/html; charset=utf-8"}, "Nothing is stored at /missing"},
		{"GET", "/../../etc/passwd", 404, nil, ""},
		{"POST", "/hello.txt", 405, map[string]string{"Allow": "GET, HEAD"}, "POST is not allowed"},
		{"DELETE", "/", 405, map[string]string{"Allow": "GET, HEAD"}, ""},
		{"GET", "/_lab/status/418", 418, nil, "418 I'm a teapot\n"},
		{"GET", "/_lab/status/299", 299, nil, "299\n"},
		{"GET", "/_lab/status/204", 204, map[string]string{"Content-Length": ""}, ""},
		{"GET", "/_lab/status/103", 400, nil, "1xx responses are interim"},
		{"GET", "/_lab/status/600", 400, nil, ""},
		{"GET", "/_lab/status/abc", 400, nil, ""},
		{"GET", "/_lab/redirect?to=/hello.txt", 302, map[string]string{"Location": "/hello.txt"}, "Found"},
		{"GET", "/_lab/redirect?to=//evil.example/", 400, nil, ""},
		{"GET", "/_lab/redirect?to=http://evil.example/", 400, nil, ""},
		{"GET", "/_lab/redirect?to=/%5Cevil.example", 400, nil, ""},
		{"GET", "/_lab/large?bytes=100", 200, map[string]string{"Content-Length": "100"}, "line 0000001 of a large body...\nline 0000002"},
		{"GET", "/_lab/large?bytes=99999999", 400, nil, ""},
		{"GET", "/_lab/large?bytes=-1", 400, nil, ""},
		{"GET", "/_lab/nothing", 404, nil, "/_lab/echo"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			for k, want := range tt.wantHeader {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("body %q, want it to contain %q", body, tt.wantBody)
			}
			if tt.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD body %q, want none", body)
			}
		})
	}
}

func etagOf(t *testing.T, s string) string {
	t.Helper()
	srv := newServer(t, Config{Root: fstest.MapFS{"f": {Data: []byte(s)}}})
	resp, err := http.Get(srv.URL + "/f")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return strings.Trim(resp.Header.Get("ETag"), `"`)
}

func TestConditional(t *testing.T) {
	srv := newServer(t, Config{})
	resp, err := http.Get(srv.URL + "/hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	tests := []struct {
		name, header, value string
		want                int
	}{
		{"matching etag", "If-None-Match", etag, 304},
		{"etag in a list", "If-None-Match", `"x", ` + etag, 304},
		{"other etag", "If-None-Match", `"0000"`, 200},
		{"not modified since", "If-Modified-Since", "Mon, 05 Jan 2026 09:00:00 GMT", 304},
		{"modified since", "If-Modified-Since", "Sun, 04 Jan 2026 09:00:00 GMT", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+"/hello.txt", nil)
			req.Header.Set(tt.header, tt.value)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestEcho(t *testing.T) {
	srv := newServer(t, Config{})
	got := rawExchange(t, srv.Listener.Addr().String(),
		"POST /_lab/echo?q=1 HTTP/1.1\r\nHost: www.example.com\r\nx-lab: two\r\nAccept: */*\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
	want := "HTTP/1.1 200 OK\r\n" +
		"Content-Length: 116\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Date: Mon, 05 Jan 2026 09:00:00 GMT\r\n" +
		"Server: wirebook-lab/1\r\n" +
		"Connection: close\r\n" +
		"\r\n" +
		"POST /_lab/echo?q=1 HTTP/1.1\n" +
		"Host: www.example.com\n" +
		"Accept: */*\n" +
		"Connection: close\n" +
		"Content-Length: 5\n" +
		"X-Lab: two\n" +
		"\n" +
		"hello"
	if got != want {
		t.Errorf("echo response:\n%q\nwant:\n%q", got, want)
	}
}

func TestEchoTooLarge(t *testing.T) {
	srv := newServer(t, Config{})
	resp, err := http.Post(srv.URL+"/_lab/echo", "text/plain", strings.NewReader(strings.Repeat("x", maxEchoBody+1)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", resp.StatusCode)
	}
}

func TestChunkedOnTheWire(t *testing.T) {
	srv := newServer(t, Config{})
	got := rawExchange(t, srv.Listener.Addr().String(), "GET /_lab/chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	var wantBody strings.Builder
	for _, c := range chunkTexts {
		fmt.Fprintf(&wantBody, "%x\r\n%s\r\n", len(c), c)
	}
	wantBody.WriteString("0\r\n\r\n")
	if !strings.Contains(got, "Transfer-Encoding: chunked\r\n") || !strings.HasSuffix(got, "\r\n\r\n"+wantBody.String()) {
		t.Errorf("chunked response:\n%q\nwant a chunked body\n%q", got, wantBody.String())
	}
}

// TestDeterministic runs the same requests against two fresh servers and
// wants the same bytes.
func TestDeterministic(t *testing.T) {
	requests := "GET / HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /_lab/large?bytes=3000 HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /docs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	first := rawExchange(t, newServer(t, Config{}).Listener.Addr().String(), requests)
	second := rawExchange(t, newServer(t, Config{}).Listener.Addr().String(), requests)
	if first != second {
		t.Errorf("two runs differ:\n%q\n%q", first, second)
	}
	if n := strings.Count(first, "HTTP/1.1 "); n != 4 {
		t.Errorf("got %d responses, want 4:\n%s", n, first)
	}
	for _, want := range []string{"Date: Mon, 05 Jan 2026 09:00:00 GMT", "Date: Mon, 05 Jan 2026 09:00:03 GMT"} {
		if !strings.Contains(first, want) {
			t.Errorf("responses lack %q", want)
		}
	}
}

func TestRootAndServerName(t *testing.T) {
	root := fstest.MapFS{
		"index.html":     {Data: []byte("<p>mine</p>")},
		"img/logo.svg":   {Data: []byte("<svg/>")},
		"data.bin":       {Data: []byte{1, 2}},
		"empty/note.txt": {Data: []byte("x")},
	}
	srv := newServer(t, Config{Root: root, ServerName: "lab-web"})
	tests := []struct {
		path, wantType string
		wantStatus     int
	}{
		{"/", "text/html; charset=utf-8", 200},
		{"/img/logo.svg", "image/svg+xml", 200},
		{"/data.bin", "application/octet-stream", 200},
		{"/empty/", "text/html; charset=utf-8", 404}, // a directory without index.html: no listing
		{"/hello.txt", "text/html; charset=utf-8", 404},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Content-Type") != tt.wantType {
				t.Errorf("GET %s = %d %q, want %d %q", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), tt.wantStatus, tt.wantType)
			}
			if got := resp.Header.Get("Server"); got != "lab-web" {
				t.Errorf("Server = %q, want lab-web", got)
			}
		})
	}
}

// TestKeepAliveRaw checks that two requests on one connection both get an
// answer and the connection stays open in between.
func TestKeepAliveRaw(t *testing.T) {
	srv := newServer(t, Config{})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	for i, path := range []string{"/hello.txt", "/_lab/status/404"} {
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i+1, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Close {
			t.Errorf("response %d closes the connection, want keep-alive", i+1)
		}
	}
}
