package http

import (
	"strings"

	"github.com/wirebook/wirebook/protocols"
)

// Lint finds S: lines where no server line can be: an HTTP server says
// nothing before the first request, nor while a request's header lines are
// still being written. Such a line would be compared with wirebook's own
// notes, and update would silently drop it.
func (Protocol) Lint(lines []protocols.LintLine) []protocols.Finding {
	var out []protocols.Finding
	requests, inHeaders := 0, false
	for _, l := range lines {
		switch l.Kind {
		case protocols.Client:
			switch {
			case inHeaders && l.Text == "":
				inHeaders = false
			case !inHeaders && looksLikeRequestLine(l.Text):
				requests++
				inHeaders = true
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

// looksLikeRequestLine: "METHOD target HTTP/x.y".
func looksLikeRequestLine(s string) bool {
	f := strings.Fields(s)
	return len(f) == 3 && strings.HasPrefix(f[2], "HTTP/")
}
