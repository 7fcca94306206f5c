package http

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols"
	"github.com/wirebook/wirebook/protocols/http/httpd"
	"github.com/wirebook/wirebook/protocols/labtls"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

func TestInfo(t *testing.T) {
	got := Protocol{}.Info()
	want := protocols.Info{Name: "http", Port: 80, TLSName: "https", TLSPort: 443}
	if got != want {
		t.Errorf("Info() = %+v, want %+v", got, want)
	}
}

// labServer serves the embedded web server with a lab clock, so its dates
// are known: the first response says 09:00:00, the next 09:00:01...
func labServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(httpd.New(httpd.Config{Clock: mailstore.NewStepClock()}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestAgainstHTTPD(t *testing.T) {
	tests := []struct {
		name   string
		script []string
		want   []string
	}{
		{
			name:   "GET, server closes as asked",
			script: []string{"GET /hello.txt HTTP/1.1", "Host: www.example.com", "Connection: close", ""},
			want: []string{
				"C: GET /hello.txt HTTP/1.1", "C: Host: www.example.com", "C: Connection: close", "C: ",
				"S: HTTP/1.1 200 OK",
				"S: Accept-Ranges: bytes",
				"S: Content-Length: 35",
				"S: Content-Type: text/plain; charset=utf-8",
				"S: Date: Mon, 05 Jan 2026 09:00:00 GMT",
				`S: ETag: "` + helloETag + `"`,
				"S: Last-Modified: Mon, 05 Jan 2026 09:00:00 GMT",
				"S: Server: wirebook-lab/1",
				"S: Connection: close",
				"S: ",
				"s: hello from the wirebook lab server",
				"N: connection closed by the server",
			},
		},
		{
			name: "keep-alive: HEAD then 404 on one connection",
			script: []string{
				"HEAD /hello.txt HTTP/1.1", "Host: x", "",
				"GET /nope HTTP/1.1", "Host: x", "",
			},
			want: []string{
				"C: HEAD /hello.txt HTTP/1.1", "C: Host: x", "C: ",
				"S: HTTP/1.1 200 OK",
				"S: Accept-Ranges: bytes",
				"S: Content-Length: 35",
				"S: Content-Type: text/plain; charset=utf-8",
				"S: Date: Mon, 05 Jan 2026 09:00:00 GMT",
				`S: ETag: "` + helloETag + `"`,
				"S: Last-Modified: Mon, 05 Jan 2026 09:00:00 GMT",
				"S: Server: wirebook-lab/1",
				"S: ",
				"C: GET /nope HTTP/1.1", "C: Host: x", "C: ",
				"S: HTTP/1.1 404 Not Found",
				"S: Content-Length: 161",
				"S: Content-Type: text/html; charset=utf-8",
				"S: Date: Mon, 05 Jan 2026 09:00:01 GMT",
				"S: Server: wirebook-lab/1",
				"S: ",
				"s: <!DOCTYPE html>",
				"s: <html><head><title>404 Not Found</title></head>",
				"s: <body><h1>404 Not Found</h1>",
				"s: <p>Nothing is stored at /nope on this lab server.</p></body></html>",
				"N: connection closed by the client",
			},
		},
		{
			name:   "directory redirect",
			script: []string{"GET /docs HTTP/1.0", ""},
			want: []string{
				"C: GET /docs HTTP/1.0", "C: ",
				"S: HTTP/1.0 301 Moved Permanently",
				"S: Content-Length: 159",
				"S: Content-Type: text/html; charset=utf-8",
				"S: Date: Mon, 05 Jan 2026 09:00:00 GMT",
				"S: Location: /docs/",
				"S: Server: wirebook-lab/1",
				"S: ",
				"s: <!DOCTYPE html>",
				"s: <html><head><title>301 Moved Permanently</title></head>",
				"s: <body><h1>301 Moved Permanently</h1>",
				"s: <p>This directory is at /docs/.</p></body></html>",
				"N: connection closed by the server",
			},
		},
		{
			name:   "chunked body with its chunk-size lines",
			script: []string{"GET /_lab/chunked HTTP/1.1", "Host: x", ""},
			want: []string{
				"C: GET /_lab/chunked HTTP/1.1", "C: Host: x", "C: ",
				"S: HTTP/1.1 200 OK",
				"S: Content-Type: text/plain; charset=utf-8",
				"S: Date: Mon, 05 Jan 2026 09:00:00 GMT",
				"S: Server: wirebook-lab/1",
				"S: Transfer-Encoding: chunked",
				"S: ",
				"S: 1b",
				"s: This body comes in chunks.",
				"S: ",
				"S: 28",
				"s: Each chunk starts with its size in hex,",
				"S: ",
				"S: 25",
				"s: and a chunk of size 0 ends the body.",
				"S: ",
				"S: 0",
				"S: ",
				"N: connection closed by the client",
			},
		},
		{
			name: "POST with a body, then a redirect",
			script: []string{
				"POST /_lab/echo HTTP/1.1", "Host: x", "Content-Length: 11", "", "a=1", "b=22", "",
				"GET /_lab/redirect?to=/hello.txt HTTP/1.1", "Host: x", "",
			},
			want: []string{
				"C: POST /_lab/echo HTTP/1.1", "C: Host: x", "C: Content-Length: 11", "C: ",
				"c: a=1", "c: b=22", "c: ",
				"S: HTTP/1.1 200 OK",
				"S: Content-Length: 64",
				"S: Content-Type: text/plain; charset=utf-8",
				"S: Date: Mon, 05 Jan 2026 09:00:00 GMT",
				"S: Server: wirebook-lab/1",
				"S: ",
				"s: POST /_lab/echo HTTP/1.1",
				"s: Host: x",
				"s: Content-Length: 11",
				"s: ",
				"s: a=1",
				"s: b=22",
				"C: GET /_lab/redirect?to=/hello.txt HTTP/1.1", "C: Host: x", "C: ",
				"S: HTTP/1.1 302 Found",
				"S: Content-Length: 37",
				"S: Content-Type: text/plain; charset=utf-8",
				"S: Date: Mon, 05 Jan 2026 09:00:01 GMT",
				"S: Location: /hello.txt",
				"S: Server: wirebook-lab/1",
				"S: ",
				"s: Found: the resource is at /hello.txt",
				"N: connection closed by the client",
			},
		},
		{
			name: "Expect: 100-continue",
			script: []string{
				"PUT /_lab/echo HTTP/1.1", "Host: x", "Expect: 100-continue", "Content-Length: 2", "", "hi",
			},
			want: []string{
				"C: PUT /_lab/echo HTTP/1.1", "C: Host: x", "C: Expect: 100-continue", "C: Content-Length: 2", "C: ",
				"S: HTTP/1.1 100 Continue",
				"S: ",
				"c: hi",
				"S: HTTP/1.1 200 OK",
				"S: Content-Length: 74",
				"S: Content-Type: text/plain; charset=utf-8",
				"S: Date: Mon, 05 Jan 2026 09:00:00 GMT",
				"S: Server: wirebook-lab/1",
				"S: ",
				"s: PUT /_lab/echo HTTP/1.1",
				"s: Host: x",
				"s: Content-Length: 2",
				"s: Expect: 100-continue",
				"s: ",
				"s: hi (no line end)",
				"N: connection closed by the client",
			},
		},
		{
			name: "pipelined requests",
			script: []string{
				"GET /_lab/status/201 HTTP/1.1", "Host: x", "",
				"C+ GET /_lab/status/202 HTTP/1.1", "Host: x", "",
			},
			want: []string{
				"C: GET /_lab/status/201 HTTP/1.1", "C: Host: x", "C: ",
				"C: GET /_lab/status/202 HTTP/1.1", "C: Host: x", "C: ",
				"S: HTTP/1.1 201 Created",
				"S: Content-Length: 12",
				"S: Content-Type: text/plain; charset=utf-8",
				"S: Date: Mon, 05 Jan 2026 09:00:00 GMT",
				"S: Server: wirebook-lab/1",
				"S: ",
				"s: 201 Created",
				"S: HTTP/1.1 202 Accepted",
				"S: Content-Length: 13",
				"S: Content-Type: text/plain; charset=utf-8",
				"S: Date: Mon, 05 Jan 2026 09:00:01 GMT",
				"S: Server: wirebook-lab/1",
				"S: ",
				"s: 202 Accepted",
				"N: connection closed by the client",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := run(t, labServer(t), script(tt.script...), nil)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			diffLines(t, got, tt.want)
		})
	}
}

// helloETag is the ETag httpd gives the built-in hello.txt.
const helloETag = "bdfb480888624a4f"

func TestMoreRequestsAfterClose(t *testing.T) {
	s := script("GET / HTTP/1.1", "Host: x", "Connection: close", "", "GET / HTTP/1.1", "Host: x", "")
	got, err := run(t, labServer(t), s, nil)
	if err == nil || !strings.Contains(err.Error(), "line 5: the script has more requests, but the server closes the connection") {
		t.Fatalf("Run error = %v, want one about requests after the close", err)
	}
	if n := strings.Count(strings.Join(got, "\n"), "C: GET"); n != 1 {
		t.Errorf("sent %d requests, want 1", n)
	}
}

func TestHTTPS(t *testing.T) {
	b, err := labtls.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(httpd.New(httpd.Config{Clock: mailstore.NewStepClock()}))
	srv.TLS = b.ServerConfig()
	srv.StartTLS()
	defer srv.Close()
	got, err := run(t, srv.Listener.Addr().String(), script("GET /hello.txt HTTP/1.1", "Host: www.example.com", ""),
		b.ClientConfig("www.example.com"))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.HasPrefix(got[0], "N: TLS 1.3") || got[4] != "S: HTTP/1.1 200 OK" {
		t.Errorf("transcript %q: want a TLS note, the request and a 200", got)
	}
}
