package http

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wirebook/wirebook/protocols"
)

// maxRequestBody bounds a body written in a lab; larger ones are surely a
// mistake in Content-Length.
const maxRequestBody = 16 << 20

// request is one request taken from the script, ready to send.
type request struct {
	source         int // lab line of the request line
	method         string
	head           []byte // request line, headers and the empty line, CRLF-terminated
	headLines      []protocols.ClientLine
	body           []byte
	bodyLines      []protocols.ClientLine
	connClose      bool
	keepAlive      bool
	http10         bool
	expectContinue bool
}

// readRequest takes one request from the script: lines up to the empty
// line, then the body lines its Content-Length calls for. The request is
// sent as written; only the fields that decide framing are read.
func readRequest(script *protocols.Script) (*request, error) {
	first, _ := script.Next()
	req := &request{source: first.Source}
	req.method, _, _ = strings.Cut(first.Text, " ")
	req.http10 = strings.HasSuffix(first.Text, " HTTP/1.0")
	req.add(first)
	length := int64(-1)
	for {
		l, ok := script.Next()
		if !ok {
			return nil, fmt.Errorf("http: line %d: the request has no empty line ending its headers", first.Source)
		}
		req.add(l)
		if l.Text == "" {
			break
		}
		name, value, ok := strings.Cut(l.Text, ":")
		if !ok {
			continue // sent as written: a lab may show a server's answer to a broken header
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "content-length":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 || n > maxRequestBody {
				return nil, fmt.Errorf("http: line %d: Content-Length %q is not a size of at most %d bytes", l.Source, value, maxRequestBody)
			}
			if length >= 0 && n != length {
				return nil, fmt.Errorf("http: line %d: a second Content-Length that differs from the first", l.Source)
			}
			length = n
		case "transfer-encoding":
			return nil, fmt.Errorf("http: line %d: request bodies with Transfer-Encoding are not supported; use Content-Length", l.Source)
		case "connection":
			req.connClose = req.connClose || hasToken(value, "close")
			req.keepAlive = req.keepAlive || hasToken(value, "keep-alive")
		case "expect":
			req.expectContinue = strings.EqualFold(value, "100-continue")
		}
	}
	if length > 0 {
		return req, req.readBody(script, length)
	}
	return req, nil
}

func (r *request) add(l protocols.ClientLine) {
	r.head = append(append(r.head, l.Text...), "\r\n"...)
	r.headLines = append(r.headLines, l)
}

// readBody takes the script lines that, joined with CRLF, make the body.
func (r *request) readBody(script *protocols.Script, length int64) error {
	for int64(len(r.body)) < length {
		l, ok := script.Next()
		if !ok {
			return fmt.Errorf("http: line %d: the script ends inside a %d-byte body (%d bytes written)", r.source, length, len(r.body))
		}
		if len(r.bodyLines) > 0 {
			r.body = append(r.body, "\r\n"...)
		}
		r.body = append(r.body, l.Text...)
		r.bodyLines = append(r.bodyLines, l)
	}
	if int64(len(r.body)) != length {
		last := r.bodyLines[len(r.bodyLines)-1].Source
		return fmt.Errorf("http: line %d: the body lines make %d bytes, but Content-Length says %d", last, len(r.body), length)
	}
	return nil
}

// hasToken reports whether a comma-separated header value lists token.
func hasToken(value, token string) bool {
	for _, t := range strings.Split(value, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}
