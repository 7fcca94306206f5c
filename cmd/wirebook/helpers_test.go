package main

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/wirebook/wirebook/engine"
)

var tags = regexp.MustCompile(`<[^>]*>`)

// textOf is the text of an HTML page, tags removed and entities decoded.
func textOf(page string) string { return html.UnescapeString(tags.ReplaceAllString(page, "")) }

func fmtInt(n int) string { return strconv.Itoa(n) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func engineOptionsForServe() engine.Options {
	return engine.Options{Cache: &engine.Cache{Dir: cacheDir}}
}

func httptestServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
