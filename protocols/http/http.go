// Package http holds the client side of HTTP/1.1 (RFC 9112) for wirebook
// session blocks: it sends a lab's requests exactly as written and reads
// each complete response through the recording Wire.
//
// The dialogue rules it follows:
//
//   - The server says nothing first.
//   - A request is the script's request line, its header lines and the
//     empty line that ends them, each sent with CRLF. With a Content-Length
//     of n, the next script lines are the body: joined with CRLF they must
//     make exactly n bytes (a body ending in CRLF ends with an empty line),
//     and they are sent without a line end of their own.
//   - A request with "Expect: 100-continue" sends its body only after the
//     server's "100 Continue"; a final answer instead means the body is not
//     sent.
//   - A response is a status line, header lines and an empty line, then a
//     body framed by Transfer-Encoding: chunked (chunk-size lines, data and
//     trailers are recorded as they come), by Content-Length, or by the
//     server closing the connection. Responses to HEAD, 1xx, 204 and 304
//     have no body. 1xx responses are followed by the final response.
//   - Requests of one block share the connection (keep-alive). When the
//     server will close it (Connection: close, HTTP/1.0, a body ending at
//     close) and requests remain, that is an error.
//   - A request whose request line is written "C+" is pipelined: it is sent
//     right after the previous one, and the responses are read afterwards,
//     in order.
//
// A response that breaks the framing rules gives a *protocols.ProtocolError.
package http

import (
	"context"
	"fmt"

	"github.com/wirebook/wirebook/protocols"
)

// Protocol is HTTP on port 80, and HTTPS ("https") on port 443.
type Protocol struct{}

// Info names the protocol and its ports.
func (Protocol) Info() protocols.Info {
	return protocols.Info{Name: "http", Port: 80, TLSName: "https", TLSPort: 443}
}

// Run sends each request, or pipelined group of requests, and reads the
// responses.
func (Protocol) Run(ctx context.Context, s *protocols.Session) error {
	c := &client{w: s.Wire, script: s.Script}
	for c.script.More() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("http: %w", err)
		}
		group, err := c.nextGroup()
		if err != nil {
			return err
		}
		if c.closing != "" {
			return fmt.Errorf("http: line %d: the script has more requests, but the server closes the connection (%s)",
				group[0].source, c.closing)
		}
		if err := c.exchange(group); err != nil {
			return err
		}
	}
	if c.closing != "" {
		c.w.ExpectClose()
	}
	return nil
}

// client is the state of one run.
type client struct {
	w       *protocols.Wire
	script  *protocols.Script
	closing string // why the connection ends after the last response; "" if it stays open
}

// nextGroup reads the next request and every pipelined one after it.
func (c *client) nextGroup() ([]*request, error) {
	var group []*request
	for {
		req, err := readRequest(c.script)
		if err != nil {
			return nil, err
		}
		group = append(group, req)
		if l, ok := c.script.Peek(); !ok || !l.Pipelined {
			return group, nil
		}
	}
}

// exchange sends a group of requests and reads one response to each.
func (c *client) exchange(group []*request) error {
	waitForContinue := len(group) == 1 && group[0].expectContinue && len(group[0].body) > 0
	for _, req := range group {
		if err := c.send(req.head, req.headLines, false); err != nil {
			return err
		}
		if !waitForContinue {
			if err := c.sendBody(req); err != nil {
				return err
			}
		}
	}
	for _, req := range group {
		if c.closing != "" {
			return fmt.Errorf("http: line %d: the request was sent, but the server closes the connection after the previous response (%s)",
				req.source, c.closing)
		}
		bodySent := !waitForContinue
		final, err := c.readResponse(req, func() error {
			if bodySent {
				return nil
			}
			bodySent = true
			return c.sendBody(req)
		})
		if err != nil {
			return err
		}
		if !bodySent {
			c.w.Note("request body (line %d on) not sent: the server answered before 100 Continue", req.bodyLines[0].Source)
		}
		c.closing = closeReason(req, final)
	}
	return nil
}

func (c *client) sendBody(req *request) error {
	if len(req.body) == 0 {
		return nil
	}
	return c.send(req.body, req.bodyLines, true)
}

func (c *client) send(p []byte, lines []protocols.ClientLine, payload bool) error {
	if err := c.w.Write(p, lines, payload); err != nil {
		return fmt.Errorf("http: %w", err)
	}
	return nil
}

// closeReason says why the connection ends after this exchange, or "" if
// it stays open for another request.
func closeReason(req *request, resp *response) string {
	switch {
	case resp.status == 101:
		return "it switched protocols"
	case resp.untilClose:
		return "the body ended at the close"
	case resp.connClose:
		return "Connection: close"
	case req.connClose:
		return "the request said Connection: close"
	case resp.proto == "HTTP/1.0" && !resp.keepAlive:
		return "an HTTP/1.0 response without keep-alive"
	case req.http10 && !req.keepAlive:
		return "an HTTP/1.0 request without keep-alive"
	}
	return ""
}
