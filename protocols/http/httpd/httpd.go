// Package httpd is the embedded web server of wirebook labs: static files
// plus a few teaching endpoints under /_lab/, with responses that are the
// same on every run (dates from a Clock, ETags from content).
//
// It is an http.Handler; the caller serves it with net/http on a listener
// of its choice (wrapped with tls.NewListener for https).
package httpd

import (
	"embed"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wirebook/wirebook/protocols/mailstore"
)

//go:embed site
var builtinSite embed.FS

// DefaultServerName is the Server header of a handler with none configured.
const DefaultServerName = "wirebook-lab/1"

// Config configures the handler.
type Config struct {
	Root       fs.FS           // static files; nil: a small built-in site
	Clock      mailstore.Clock // Date and Last-Modified; the system clock when nil
	ServerName string          // Server header; DefaultServerName when empty
}

// New returns the handler.
func New(cfg Config) http.Handler {
	h := &handler{root: cfg.Root, clock: cfg.Clock, name: cfg.ServerName}
	if h.root == nil {
		h.root, _ = fs.Sub(builtinSite, "site")
	}
	if h.clock == nil {
		h.clock = mailstore.SystemClock{}
	}
	if h.name == "" {
		h.name = DefaultServerName
	}
	// Every file gets the same Last-Modified: the start of the lab clock.
	// A step clock is read without advancing it, so adding a web server does
	// not shift the dates the mail servers show.
	if sc, ok := h.clock.(*mailstore.StepClock); ok {
		h.modified = sc.Start
	} else {
		h.modified = h.clock.Now()
	}
	h.modified = h.modified.UTC().Truncate(time.Second)
	return h
}

type handler struct {
	root       fs.FS
	clock      mailstore.Clock
	name       string
	modified   time.Time
	boundaries atomic.Uint64 // multipart/byteranges boundaries handed out
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	// Set by hand so net/http does not add the real time.
	hdr["Date"] = []string{h.clock.Now().UTC().Format(http.TimeFormat)}
	hdr.Set("Server", h.name)
	if r.RequestURI == "*" {
		// "OPTIONS *" asks about the server as a whole; nginx answers 400.
		// (The http.Server must set DisableGeneralOptionsHandler, or Go
		// answers 200 before this handler runs.)
		page(w, http.StatusBadRequest, "400 Bad Request", "This lab server answers requests for paths, not \"*\".")
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/_lab/"); ok {
		h.lab(w, r, rest)
		return
	}
	h.static(w, r)
}

// page writes a small HTML page with a status.
func page(w http.ResponseWriter, status int, title, text string) {
	body := fmt.Sprintf("<!DOCTYPE html>\n<html><head><title>%s</title></head>\n<body><h1>%s</h1>\n<p>%s</p></body></html>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
	writeBody(w, status, "text/html; charset=utf-8", []byte(body))
}

// writeBody sends a complete body with its Content-Type and length.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	page(w, http.StatusNotFound, "404 Not Found", "Nothing is stored at "+r.URL.Path+" on this lab server.")
}

func statusTitle(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}
