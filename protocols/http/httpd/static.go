package httpd

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// contentTypes is a fixed table, so the Content-Type of a file does not
// depend on the machine's mime.types.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".htm":  "text/html; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
	".md":   "text/markdown; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".json": "application/json",
	".xml":  "application/xml",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".ico":  "image/x-icon",
	".pdf":  "application/pdf",
	".eml":  "message/rfc822",
}

func contentType(name string) string {
	if t, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
}

// static serves a file of the root, index.html for a directory.
func (h *handler) static(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		page(w, http.StatusMethodNotAllowed, "405 Method Not Allowed",
			r.Method+" is not allowed here: static files answer GET and HEAD.")
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "."
	}
	info, err := fs.Stat(h.root, name)
	if err != nil {
		notFound(w, r)
		return
	}
	trailingSlash := strings.HasSuffix(r.URL.Path, "/")
	if info.IsDir() {
		if !trailingSlash {
			// Relative links in the directory's index resolve against the
			// URL, so it must end in a slash.
			to := r.URL.Path + "/"
			if r.URL.RawQuery != "" {
				to += "?" + r.URL.RawQuery
			}
			w.Header().Set("Location", to)
			page(w, http.StatusMovedPermanently, "301 Moved Permanently", "This directory is at "+to+".")
			return
		}
		name = path.Join(name, "index.html")
		if info, err = fs.Stat(h.root, name); err != nil || info.IsDir() {
			notFound(w, r)
			return
		}
	} else if trailingSlash {
		notFound(w, r)
		return
	}
	data, err := fs.ReadFile(h.root, name)
	if err != nil {
		notFound(w, r)
		return
	}
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	hdr := w.Header()
	hdr["ETag"] = []string{etag} // as commonly spelled; Set would write "Etag"
	hdr.Set("Last-Modified", h.modified.Format(http.TimeFormat))
	if notModified(r, etag, h.modified) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Header.Get("Range") != "" && ifRangeAllows(r, etag, h.modified) && h.serveRanges(w, r, contentType(name), data) {
		return
	}
	hdr.Set("Accept-Ranges", "bytes") // as nginx, on full responses only
	writeBody(w, http.StatusOK, contentType(name), data)
}

// notModified applies If-None-Match, or else If-Modified-Since (RFC 9110
// section 13.2.2).
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == "*" || t == etag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !modified.After(t) {
			return true
		}
	}
	return false
}
