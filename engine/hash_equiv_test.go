package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/engine/lab"
)

// The cache keys of existing caches stay valid: hashStrings and blockHash
// give what their first, fmt-based versions gave.
func TestHashesAreTheCachedOnes(t *testing.T) {
	reference := func(parts ...string) string {
		h := sha256.New()
		for _, p := range parts {
			fmt.Fprintf(h, "%d:%s;", len(p), p)
		}
		return hex.EncodeToString(h.Sum(nil))[:24]
	}
	cases := [][]string{nil, {""}, {"a"}, {"smtp", "1", "EHLO x", "2", "C+ \xff\x00"}, {strings.Repeat("long ", 5000), "ü"}}
	for _, parts := range cases {
		if got, want := hashStrings(parts...), reference(parts...); got != want {
			t.Errorf("hashStrings(%q) = %s, want %s", parts, got, want)
		}
	}
	b := &lab.Block{InfoText: "imap server=x", Code: []lab.Line{{Kind: lab.Client, Text: "print(1)"}},
		Lines: []lab.Line{{Kind: lab.Client, Text: "a1 NOOP"}, {Kind: lab.Server, Text: "a1 OK"}, {Kind: lab.Pipelined, Text: "a2 NOOP"}, {Kind: lab.Blank}}}
	parts := []string{b.InfoText}
	for _, ln := range append(append([]lab.Line(nil), b.Code...), b.Lines...) {
		if ln.Kind == lab.Client || ln.Kind == lab.Pipelined {
			parts = append(parts, fmt.Sprint(ln.Kind), ln.Text)
		}
	}
	if got, want := blockHash(b), reference(parts...); got != want {
		t.Errorf("blockHash = %s, want %s", got, want)
	}
}

// Display-only fence attributes (open) do not change a block's hash, so
// unfolding a block keeps its cache entry and its recorded transcripts;
// every other attribute does.
func TestBlockHashIgnoresDisplayOnlyAttributes(t *testing.T) {
	lines := []lab.Line{{Kind: lab.Client, Text: "RETR 1"}}
	hash := func(info string) string { return blockHash(&lab.Block{InfoText: info, Lines: lines}) }
	plain := hash("pop3")
	for _, info := range []string{"pop3 open", "pop3 open=true", "pop3  open ", "pop3 open=false"} {
		if got := hash(info); got != plain {
			t.Errorf("hash(%q) = %s, want %s as for \"pop3\"", info, got, plain)
		}
	}
	if hash("pop3 server=other open") != hash("pop3 server=other") {
		t.Error("open changes the hash of a block with other attributes")
	}
	for _, info := range []string{"pop3 server=other", "pop3 tls=starttls", "pop3 timeout=5s", "pop3 expect=-ERR", "smtp", "open"} {
		if hash(info) == plain {
			t.Errorf("hash(%q) is the hash of \"pop3\": the attribute is ignored", info)
		}
	}
}
