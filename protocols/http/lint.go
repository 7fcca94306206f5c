package http

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wirebook/wirebook/protocols"
)

// Lint finds, before the block runs, S: lines where no server line can be
// (an HTTP server says nothing before the first request, nor while a
// request's header lines are still being written: such a line would be
// compared with wirebook's own notes, and update would silently drop it),
// and a Content-Length that the body lines after it do not make.
func (Protocol) Lint(lines []protocols.LintLine) []protocols.Finding {
	var out []protocols.Finding
	requests, inHeaders := 0, false
	length, lengthLine := int64(-1), 0
	for i, l := range lines {
		switch l.Kind {
		case protocols.Client:
			switch {
			case inHeaders && l.Text == "":
				inHeaders = false
				if length > 0 {
					if f := checkBody(lines[i+1:], length, lengthLine); f != nil {
						out = append(out, *f)
					}
				}
			case inHeaders:
				if name, value, ok := strings.Cut(l.Text, ":"); ok && strings.EqualFold(strings.TrimSpace(name), "content-length") {
					if n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64); err == nil && !l.Unknown {
						length, lengthLine = n, l.Source
					}
				}
			case looksLikeRequestLine(l.Text):
				requests++
				inHeaders, length = true, -1
			}
		case protocols.Server:
			switch {
			case requests == 0:
				out = append(out, protocols.Finding{Line: l.Source, Msg: "an S: line before any C: line: an HTTP server says nothing until it has a request; move it after the request (or delete it)"})
			case inHeaders:
				out = append(out, protocols.Finding{Line: l.Source, Msg: "an S: line inside a request: the server answers only after the empty C: line that ends the request's headers"})
			}
		}
	}
	return out
}

// checkBody compares a Content-Length with the body the client sends: the
// C: lines after the headers, joined with CRLF, up to the next request.
func checkBody(rest []protocols.LintLine, length int64, line int) *protocols.Finding {
	var body []protocols.LintLine
	for _, l := range rest {
		if l.Kind != protocols.Client {
			continue
		}
		if l.Unknown {
			return nil // counted when the block runs
		}
		if looksLikeRequestLine(l.Text) {
			break
		}
		body = append(body, l)
	}
	var size int64
	for i, l := range body {
		if i > 0 {
			size += 2
		}
		size += int64(len(l.Text))
		if size == length {
			return nil
		}
		if size > length {
			break
		}
	}
	var total int64
	for i, l := range body {
		if i > 0 {
			total += 2
		}
		total += int64(len(l.Text))
	}
	if len(body) == 0 {
		return &protocols.Finding{Line: line, Msg: fmt.Sprintf("Content-Length: %d, but no body lines follow the empty C: line that ends the headers", length)}
	}
	span := fmt.Sprintf("line %d makes", body[0].Source)
	if len(body) > 1 {
		span = fmt.Sprintf("lines %d-%d make", body[0].Source, body[len(body)-1].Source)
	}
	return &protocols.Finding{Line: line, Msg: fmt.Sprintf("Content-Length: %d does not match the body: %s %d bytes (joined with CRLF, 2 bytes each; a body that ends in CRLF ends with an empty C: line): write Content-Length: %d",
		length, span, total, total)}
}

// looksLikeRequestLine: "METHOD target HTTP/x.y".
func looksLikeRequestLine(s string) bool {
	f := strings.Fields(s)
	return len(f) == 3 && strings.HasPrefix(f[2], "HTTP/")
}
