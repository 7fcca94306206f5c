package http

import (
	"errors"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols"
)

var getRoot = []string{"GET / HTTP/1.1", "Host: x", ""}

func getRootSteps() []step { return []step{hear("GET / HTTP/1.1"), hear("Host: x"), hear("")} }

func TestFraming(t *testing.T) {
	tests := []struct {
		name   string
		script []string
		steps  []step
		want   []string // server side and notes; client lines are checked by the fake
	}{
		{
			name:   "chunked split across reads, extension and trailer",
			script: getRoot,
			steps: []step{
				say("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=v"),
				say("al\r\nhel"), say("lo\r\n9\r\n, w\r\norld\r\n0\r\nX-Sum: 1"), say("\r\n\r\n"),
			},
			want: []string{
				"S: HTTP/1.1 200 OK", "S: Transfer-Encoding: chunked", "S: ",
				"S: 5;name=val", "s: hello", "S: 9", "s: , w", "s: orld", "S: 0", "S: X-Sum: 1", "S: ",
				"N: connection closed by the client",
			},
		},
		{
			name:   "close-delimited body",
			script: getRoot,
			steps:  []step{say("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nline one\r\nline"), say(" two"), hangUp()},
			want: []string{
				"S: HTTP/1.0 200 OK", "S: Content-Type: text/plain", "S: ",
				"s: line one", "s: line two (no line end)", "N: connection closed by the server",
			},
		},
		{
			name:   "103 Early Hints before the final response",
			script: getRoot,
			steps: []step{
				say("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"),
				say("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
			},
			want: []string{
				"S: HTTP/1.1 103 Early Hints", "S: Link: </a.css>; rel=preload", "S: ",
				"S: HTTP/1.1 200 OK", "S: Content-Length: 2", "S: ", "s: ok (no line end)",
				"N: connection closed by the client",
			},
		},
		{
			name:   "HEAD, 204 and 304 have no body, the connection stays usable",
			script: []string{"HEAD / HTTP/1.1", "Host: x", "", "DELETE /a HTTP/1.1", "Host: x", "", "GET /b HTTP/1.1", "Host: x", ""},
			steps: []step{
				hear("HEAD / HTTP/1.1"), hear("Host: x"), hear(""),
				say("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n"),
				hear("DELETE /a HTTP/1.1"), hear("Host: x"), hear(""),
				say("HTTP/1.1 204 No Content\r\n\r\n"),
				hear("GET /b HTTP/1.1"), hear("Host: x"), hear(""),
				say("HTTP/1.1 304 Not Modified\r\nContent-Length: 500\r\n\r\n"),
			},
			want: []string{
				"S: HTTP/1.1 200 OK", "S: Content-Length: 500", "S: ",
				"S: HTTP/1.1 204 No Content", "S: ",
				"S: HTTP/1.1 304 Not Modified", "S: Content-Length: 500", "S: ",
				"N: connection closed by the client",
			},
		},
		{
			name:   "100 Continue, then the body, then 200",
			script: []string{"POST /up HTTP/1.1", "Host: x", "Expect: 100-continue", "Content-Length: 5", "", "ab", "c"},
			steps: []step{
				hear("POST /up HTTP/1.1"), hear("Host: x"), hear("Expect: 100-continue"), hear("Content-Length: 5"), hear(""),
				say("HTTP/1.1 100 Continue\r\n\r\n"), hearBytes("ab\r\nc"),
				say("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
			},
			want: []string{
				"S: HTTP/1.1 100 Continue", "S: ", "S: HTTP/1.1 201 Created", "S: Content-Length: 0", "S: ",
				"N: connection closed by the client",
			},
		},
		{
			name: "final answer instead of 100 Continue: body not sent",
			script: []string{"POST /up HTTP/1.1", "Host: x", "Expect: 100-continue", "Content-Length: 2", "", "ab",
				"GET / HTTP/1.1", "Host: x", ""},
			steps: []step{
				hear("POST /up HTTP/1.1"), hear("Host: x"), hear("Expect: 100-continue"), hear("Content-Length: 2"), hear(""),
				say("HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n"),
				hear("GET / HTTP/1.1"), hear("Host: x"), hear(""),
				say("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
			},
			want: []string{
				"S: HTTP/1.1 417 Expectation Failed", "S: Content-Length: 0", "S: ",
				"N: request body (line 6 on) not sent: the server answered before 100 Continue",
				"S: HTTP/1.1 200 OK", "S: Content-Length: 0", "S: ",
				"N: connection closed by the client",
			},
		},
		{
			name:   "equal repeated Content-Length, no reason phrase, folded header",
			script: getRoot,
			steps:  []step{say("HTTP/1.1 200\r\nContent-Length: 3, 3\r\nX-Long: a\r\n b\r\nContent-Length: 3\r\n\r\nabc")},
			want: []string{
				"S: HTTP/1.1 200", "S: Content-Length: 3, 3", "S: X-Long: a", "S:  b", "S: Content-Length: 3", "S: ",
				"s: abc (no line end)", "N: connection closed by the client",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := tt.steps
			if tt.script[0] == getRoot[0] && len(tt.script) == 3 {
				steps = append(getRootSteps(), steps...)
			}
			got, err := run(t, fakeServer(t, steps...), script(tt.script...), nil)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			var server []string
			for _, l := range got {
				if !strings.HasPrefix(l, "C: ") && !strings.HasPrefix(l, "c: ") {
					server = append(server, l)
				}
			}
			diffLines(t, server, tt.want)
		})
	}
}

func TestPayloadMarks(t *testing.T) {
	steps := []step{
		hear("POST / HTTP/1.1"), hear("Content-Length: 4"), hear(""), hearBytes("ab\r\n"),
		say("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
	}
	got, err := run(t, fakeServer(t, steps...), script("POST / HTTP/1.1", "Content-Length: 4", "", "ab", ""), nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	diffLines(t, got[:5], []string{"C: POST / HTTP/1.1", "C: Content-Length: 4", "C: ", "c: ab", "c: "})
}

func TestFramingErrors(t *testing.T) {
	tests := []struct {
		name    string
		steps   []step
		want    string
		protoch bool // a *protocols.ProtocolError
	}{
		{"close mid-body", []step{say("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), hangUp()},
			"after 3 of the 10 body bytes", false},
		{"close mid-chunk", []step{say("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nabc"), hangUp()},
			"after 3 of the 10 bytes of a chunk", false},
		{"close in the header", []step{say("HTTP/1.1 200 OK\r\nContent-"), hangUp()},
			"the server closed the connection in the middle of a line (after 8 bytes of it) while waiting for the rest of the response header", false},
		{"no response at all", []step{hangUp()}, "while waiting for the response to line 1", false},
		{"not a status line", []step{say("hello\r\n")}, "malformed status line", true},
		{"HTTP/0.9-style body", []step{say("<html>\r\n")}, "malformed status line", true},
		{"two Content-Lengths", []step{say("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n")},
			"two different Content-Length values", true},
		{"negative Content-Length", []step{say("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n")}, "not a number", true},
		{"header without colon", []step{say("HTTP/1.1 200 OK\r\nbroken\r\n\r\n")}, "malformed header line", true},
		{"bad chunk size", []step{say("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")}, "malformed chunk-size", true},
		{"chunk without CRLF after it", []step{say("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n")},
			"followed by", true},
		{"huge chunk", []step{say("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffff\r\n")}, "(payload_bytes)", false},
		{"too many headers", []step{say("HTTP/1.1 200 OK\r\n" + strings.Repeat("X: y\r\n", 300) + "\r\n")}, "header lines", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, fakeServer(t, append(getRootSteps(), tt.steps...)...), script(getRoot...), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run error = %v, want it to mention %q", err, tt.want)
			}
			var pe *protocols.ProtocolError
			if got := errors.As(err, &pe); got != tt.protoch {
				t.Errorf("error %v is a ProtocolError: %v, want %v", err, got, tt.protoch)
			}
		})
	}
}

func TestScriptErrors(t *testing.T) {
	tests := []struct {
		name   string
		script []string
		want   string
	}{
		{"no empty line", []string{"GET / HTTP/1.1", "Host: x"}, "line 1: the request has no empty line"},
		{"body too short", []string{"POST / HTTP/1.1", "Content-Length: 10", "", "abc"}, "ends inside a 10-byte body"},
		{"body lines overshoot", []string{"POST / HTTP/1.1", "Content-Length: 4", "", "abc", "def"}, "line 5: the body lines make 8 bytes"},
		{"bad Content-Length", []string{"POST / HTTP/1.1", "Content-Length: ten", ""}, `Content-Length "ten"`},
		{"chunked request", []string{"POST / HTTP/1.1", "Transfer-Encoding: chunked", ""}, "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, fakeServer(t), script(tt.script...), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestPipelinedServerCloses(t *testing.T) {
	steps := []step{
		hear("GET /a HTTP/1.1"), hear(""), hear("GET /b HTTP/1.1"), hear(""),
		say("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), hangUp(),
	}
	_, err := run(t, fakeServer(t, steps...), script("GET /a HTTP/1.1", "", "C+ GET /b HTTP/1.1", ""), nil)
	if err == nil || !strings.Contains(err.Error(), "line 3: the request was sent, but the server closes the connection") {
		t.Errorf("Run error = %v, want one about the unanswered pipelined request", err)
	}
}
