package httpd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Bounds of the teaching endpoints.
const (
	maxEchoBody  = 1 << 20
	maxLargeBody = 10 << 20
)

// lab routes the teaching endpoints under /_lab/.
func (h *handler) lab(w http.ResponseWriter, r *http.Request, rest string) {
	switch {
	case rest == "echo":
		echo(w, r)
	case strings.HasPrefix(rest, "status/"):
		status(w, strings.TrimPrefix(rest, "status/"))
	case rest == "redirect":
		redirect(w, r)
	case rest == "chunked":
		chunked(w, r)
	case rest == "large":
		large(w, r)
	default:
		page(w, http.StatusNotFound, "404 Not Found",
			"The lab endpoints are /_lab/echo, /_lab/status/NNN, /_lab/redirect?to=/path, /_lab/chunked and /_lab/large?bytes=N.")
	}
}

// echo answers with the request as the server understood it: the request
// line, the header fields sorted by name (net/http keeps no order and
// writes names in canonical case), an empty line and the body.
func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEchoBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			page(w, http.StatusRequestEntityTooLarge, "413 Content Too Large",
				fmt.Sprintf("The echo endpoint takes bodies of up to %d bytes.", maxEchoBody))
			return
		}
		page(w, http.StatusBadRequest, "400 Bad Request", "The request body could not be read.")
		return
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s %s\n", r.Method, r.RequestURI, r.Proto)
	fields := []string{"Host: " + r.Host}
	for name, values := range r.Header {
		for _, v := range values {
			fields = append(fields, name+": "+v)
		}
	}
	if len(r.TransferEncoding) > 0 {
		fields = append(fields, "Transfer-Encoding: "+strings.Join(r.TransferEncoding, ", "))
	}
	sort.Strings(fields[1:])
	for _, f := range fields {
		b.WriteString(f + "\n")
	}
	b.WriteString("\n")
	b.Write(body)
	writeBody(w, http.StatusOK, "text/plain; charset=utf-8", b.Bytes())
}

// status answers with the status code in the path.
func status(w http.ResponseWriter, code string) {
	n, err := strconv.Atoi(code)
	if err != nil || len(code) != 3 || n < 100 || n > 599 {
		page(w, http.StatusBadRequest, "400 Bad Request", "Ask for a status code from 200 to 599, as in /_lab/status/404.")
		return
	}
	if n < 200 {
		page(w, http.StatusBadRequest, "400 Bad Request",
			"1xx responses are interim: a server sends them before a final response, never on their own.")
		return
	}
	if n == http.StatusNoContent || n == http.StatusNotModified {
		w.WriteHeader(n) // no body allowed
		return
	}
	writeBody(w, n, "text/plain; charset=utf-8", []byte(statusTitle(n)+"\n"))
}

// redirect sends a 302 to a path on this server.
func redirect(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	if !localPath(to) {
		page(w, http.StatusBadRequest, "400 Bad Request",
			"The redirect endpoint only sends clients to paths on this server, as in /_lab/redirect?to=/hello.txt.")
		return
	}
	w.Header().Set("Location", to)
	writeBody(w, http.StatusFound, "text/plain; charset=utf-8", []byte("Found: the resource is at "+to+"\n"))
}

// localPath accepts "/x" but not "//host/x" or "/\host", which browsers
// read as another server.
func localPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, `/\`) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < ' ' || p[i] == 0x7f {
			return false
		}
	}
	return true
}

// chunkTexts are the pieces of the chunked response.
var chunkTexts = []string{
	"This body comes in chunks.\n",
	"Each chunk starts with its size in hex,\n",
	"and a chunk of size 0 ends the body.\n",
}

// chunked sends a body without Content-Length, flushing after each piece
// so net/http writes each as its own chunk.
func chunked(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	flusher, _ := w.(http.Flusher)
	for _, c := range chunkTexts {
		_, _ = io.WriteString(w, c)
		if flusher != nil {
			flusher.Flush()
		}
	}
}

// large sends N bytes of numbered text lines.
func large(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("bytes"))
	if err != nil || n < 0 || n > maxLargeBody {
		page(w, http.StatusBadRequest, "400 Bad Request",
			fmt.Sprintf("Ask for 0 to %d bytes, as in /_lab/large?bytes=1000.", maxLargeBody))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = io.Copy(w, io.LimitReader(&lineSource{}, int64(n)))
}

// lineSource produces endless 32-byte lines "line 0000001 of a large body\n".
type lineSource struct {
	n   int
	buf []byte
}

func (s *lineSource) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) {
		s.n++
		s.buf = fmt.Appendf(s.buf, "line %07d of a large body...\n", s.n)
	}
	k := copy(p, s.buf)
	s.buf = s.buf[k:]
	return k, nil
}
