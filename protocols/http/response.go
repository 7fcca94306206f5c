package http

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/wirebook/wirebook/protocols"
)

// Bounds on a response head; the Wire bounds each line and the session.
const (
	maxHeaderLines = 200
	maxHeaderBytes = 64 << 10
)

// response is what the client needs to know of a response head to frame
// its body and decide about the connection.
type response struct {
	proto         string // "HTTP/1.1"
	status        int
	contentLength int64 // -1: none
	chunked       bool
	otherEncoding bool // a Transfer-Encoding that does not end in chunked
	connClose     bool
	keepAlive     bool
	untilClose    bool // the body was delimited by the server closing
}

// readResponse reads interim responses and the final response to req,
// body included. onContinue runs on a "100 Continue".
func (c *client) readResponse(req *request, onContinue func() error) (*response, error) {
	for {
		resp, err := c.readHead(req)
		if err != nil {
			return nil, err
		}
		if resp.status >= 200 || resp.status == 101 {
			return resp, c.readBody(req, resp)
		}
		if resp.status == 100 {
			if err := onContinue(); err != nil {
				return nil, err
			}
		}
	}
}

// readHead reads the status line and header lines up to the empty line.
func (c *client) readHead(req *request) (*response, error) {
	line, err := c.w.ReadLine()
	if err != nil {
		return nil, c.readFailed(err, fmt.Sprintf("the response to line %d", req.source))
	}
	resp, err := parseStatusLine(line)
	if err != nil {
		return nil, err
	}
	size := len(line)
	for n := 0; ; n++ {
		line, err := c.w.ReadLine()
		if err != nil {
			return nil, c.readFailed(err, "the rest of the response header")
		}
		if line == "" {
			return resp, nil
		}
		if size += len(line); size > maxHeaderBytes {
			return nil, fmt.Errorf("http: response header longer than %d bytes: %w", maxHeaderBytes, protocols.ErrLimit)
		}
		if n >= maxHeaderLines {
			return nil, fmt.Errorf("http: more than %d response header lines: %w", maxHeaderLines, protocols.ErrLimit)
		}
		if err := resp.addHeader(line); err != nil {
			return nil, err
		}
	}
}

// parseStatusLine reads "HTTP/1.1 200 OK" (the reason may be empty).
func parseStatusLine(line string) (*response, error) {
	proto, rest, _ := strings.Cut(line, " ")
	code, _, _ := strings.Cut(rest, " ")
	if !validProto(proto) || len(code) != 3 || strings.Trim(code, "0123456789") != "" || code[0] == '0' {
		return nil, protoErr("malformed status line %s: want HTTP/x.y, a 3-digit code and a reason", quote(line))
	}
	status, _ := strconv.Atoi(code)
	return &response{proto: proto, status: status, contentLength: -1}, nil
}

func validProto(p string) bool {
	return len(p) == 8 && strings.HasPrefix(p, "HTTP/") && isDigit(p[5]) && p[6] == '.' && isDigit(p[7])
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// addHeader notes the fields that decide framing and the connection.
func (r *response) addHeader(line string) error {
	if line[0] == ' ' || line[0] == '\t' {
		return nil // an obsolete folded continuation: recorded, not needed
	}
	name, value, ok := strings.Cut(line, ":")
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return protoErr("malformed header line %s", quote(line))
	}
	value = strings.TrimSpace(value)
	switch strings.ToLower(name) {
	case "content-length":
		// A repeated header, or a list of equal values, is allowed (RFC 9110
		// section 8.6); differing values make the framing ambiguous.
		for _, v := range strings.Split(value, ",") {
			v = strings.TrimSpace(v)
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || strings.Trim(v, "0123456789") != "" {
				return protoErr("Content-Length %q is not a number", value)
			}
			if r.contentLength >= 0 && n != r.contentLength {
				return protoErr("two different Content-Length values (%d and %d)", r.contentLength, n)
			}
			r.contentLength = n
		}
	case "transfer-encoding":
		codings := strings.Split(value, ",")
		last := strings.TrimSpace(codings[len(codings)-1])
		r.chunked = strings.EqualFold(last, "chunked")
		r.otherEncoding = !r.chunked
	case "connection":
		r.connClose = r.connClose || hasToken(value, "close")
		r.keepAlive = r.keepAlive || hasToken(value, "keep-alive")
	}
	return nil
}

// readBody reads the body of a final response, framed as RFC 9112
// section 6.3 says.
func (c *client) readBody(req *request, resp *response) error {
	switch {
	case req.method == "HEAD", resp.status == 101, resp.status == 204, resp.status == 304:
		return nil
	case resp.chunked:
		return c.readChunked()
	case resp.otherEncoding, resp.contentLength < 0:
		resp.untilClose = true
		if _, err := c.w.ReadToClose(true); err != nil {
			return fmt.Errorf("http: reading a body that ends at the close: %w", err)
		}
		return nil
	}
	got, err := c.w.ReadN(resp.contentLength, true)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("http: connection closed by the server after %d of the %d body bytes", len(got), resp.contentLength)
	}
	if err != nil {
		return fmt.Errorf("http: reading a %d-byte body: %w", resp.contentLength, err)
	}
	return nil
}

// readChunked reads chunk-size lines, chunk data and the trailer section.
func (c *client) readChunked() error {
	for {
		line, err := c.w.ReadLine()
		if err != nil {
			return c.readFailed(err, "a chunk-size line")
		}
		size, err := chunkSize(line)
		if err != nil {
			return err
		}
		if size == 0 {
			break
		}
		got, err := c.w.ReadN(size, true)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("http: connection closed by the server after %d of the %d bytes of a chunk", len(got), size)
		}
		if err != nil {
			return fmt.Errorf("http: reading a %d-byte chunk: %w", size, err)
		}
		end, err := c.w.ReadLine()
		if err != nil {
			return c.readFailed(err, "the line end after a chunk")
		}
		if end != "" {
			return protoErr("chunk data is followed by %s, not by CRLF", quote(end))
		}
	}
	for n := 0; ; n++ {
		line, err := c.w.ReadLine()
		if err != nil {
			return c.readFailed(err, "the end of a chunked body")
		}
		if line == "" {
			return nil
		}
		if n >= maxHeaderLines {
			return fmt.Errorf("http: more than %d trailer lines: %w", maxHeaderLines, protocols.ErrLimit)
		}
	}
}

// chunkSize parses a chunk-size line: hex digits, then optional
// extensions after ';'.
func chunkSize(line string) (int64, error) {
	hex, _, _ := strings.Cut(line, ";")
	hex = strings.TrimRight(hex, " \t")
	if hex == "" || len(hex) > 15 || strings.Trim(hex, "0123456789abcdefABCDEF") != "" {
		return 0, protoErr("malformed chunk-size line %s", quote(line))
	}
	n, err := strconv.ParseInt(hex, 16, 64)
	if err != nil {
		return 0, protoErr("malformed chunk-size line %s", quote(line))
	}
	return n, nil
}

func (c *client) readFailed(err error, waiting string) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("http: %v while waiting for %s", err, waiting)
	}
	return fmt.Errorf("http: waiting for %s: %w", waiting, err)
}

func protoErr(format string, args ...any) error {
	return &protocols.ProtocolError{Proto: "http", Msg: fmt.Sprintf(format, args...)}
}

// quote shortens a server line for an error message.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "..."
	}
	return fmt.Sprintf("%q", s)
}
