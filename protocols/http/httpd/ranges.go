package httpd

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// byteRange is one satisfiable range, end inclusive.
type byteRange struct{ start, end int }

// parseRanges reads a Range header for a body of size bytes as nginx
// does: ok is false for a header that is not a "bytes=" range at all
// (then the whole body is sent); a malformed or unsatisfiable one gives
// no ranges (416).
func parseRanges(header string, size int) (ranges []byteRange, ok bool) {
	spec, found := strings.CutPrefix(header, "bytes=")
	if !found {
		return nil, false
	}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		first, last, dash := strings.Cut(part, "-")
		if !dash {
			return nil, true
		}
		var r byteRange
		switch {
		case first == "": // "-n": the last n bytes
			n, err := strconv.Atoi(last)
			if err != nil || n < 0 {
				return nil, true
			}
			if n == 0 {
				continue
			}
			r = byteRange{max(size-n, 0), size - 1}
		default:
			start, err := strconv.Atoi(first)
			if err != nil || start < 0 {
				return nil, true
			}
			end := size - 1
			if last != "" {
				if end, err = strconv.Atoi(last); err != nil || end < start {
					return nil, true
				}
			}
			if start >= size {
				continue
			}
			r = byteRange{start, min(end, size-1)}
		}
		ranges = append(ranges, r)
	}
	return ranges, true
}

// ifRangeAllows applies If-Range: the ranges count only while the file
// is the one the client has (same strong ETag or the exact date).
func ifRangeAllows(r *http.Request, etag string, modified time.Time) bool {
	v := r.Header.Get("If-Range")
	if v == "" {
		return true
	}
	if strings.HasPrefix(v, `"`) {
		return v == etag
	}
	t, err := http.ParseTime(v)
	return err == nil && t.Equal(modified)
}

// serveRanges answers a Range request as nginx does: 206 with
// Content-Range for one range, multipart/byteranges for several, 416
// with "Content-Range: bytes */size" when nothing is satisfiable. It
// reports false when the header is no byte range, for a plain 200.
func (h *handler) serveRanges(w http.ResponseWriter, r *http.Request, contentType string, data []byte) bool {
	ranges, ok := parseRanges(r.Header.Get("Range"), len(data))
	if !ok {
		return false
	}
	hdr := w.Header()
	if len(ranges) == 0 {
		delete(hdr, "ETag") // set under its usual spelling, which Del would not find
		hdr.Del("Last-Modified")
		hdr.Set("Content-Range", fmt.Sprintf("bytes */%d", len(data)))
		page(w, http.StatusRequestedRangeNotSatisfiable, "416 Requested Range Not Satisfiable",
			"The Range "+r.Header.Get("Range")+" asks for bytes this file does not have.")
		return true
	}
	if len(ranges) == 1 {
		rg := ranges[0]
		hdr.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rg.start, rg.end, len(data)))
		writeBody(w, http.StatusPartialContent, contentType, data[rg.start:rg.end+1])
		return true
	}
	// nginx numbers its boundaries; so does this server, per handler, so
	// a lab gets the same boundaries on every run.
	boundary := fmt.Sprintf("%020d", h.boundaries.Add(1))
	var body bytes.Buffer
	for _, rg := range ranges {
		fmt.Fprintf(&body, "\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes %d-%d/%d\r\n\r\n", boundary, contentType, rg.start, rg.end, len(data))
		body.Write(data[rg.start : rg.end+1])
	}
	fmt.Fprintf(&body, "\r\n--%s--\r\n", boundary)
	writeBody(w, http.StatusPartialContent, "multipart/byteranges; boundary="+boundary, body.Bytes())
	return true
}
