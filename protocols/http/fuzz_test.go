package http

import (
	"testing"

	"github.com/wirebook/wirebook/protocols/internal/sessiontest"
)

// FuzzResponses feeds arbitrary server bytes to a session of several
// requests: the client must neither panic nor hang, must record no more
// server bytes than were sent, and may only succeed by playing the whole
// script.
func FuzzResponses(f *testing.F) {
	seeds := []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\n",
		"HTTP/1.0 200 OK\r\n\r\nuntil close",
		"HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 301 Moved\r\nContent-Length: 0, 0\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx",
		"garbage",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sessiontest.FuzzRun(t, Protocol{}, script(
			"GET / HTTP/1.1", "Host: x", "",
			"HEAD / HTTP/1.1", "Host: x", "",
			"GET /a HTTP/1.1", "", "C+ POST /b HTTP/1.1", "Expect: 100-continue", "Content-Length: 2", "", "hi",
			"GET /c HTTP/1.1", "",
		), data)
	})
}
