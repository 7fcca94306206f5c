package diagram

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/internal/coursegen"
	"github.com/wirebook/wirebook/protocols"
)

// sameSVG draws the events with SVG and with the reference implementation
// (ref_test.go) and fails at the first byte where they differ; the units
// and the refusal test must agree too.
func sameSVG(t testing.TB, evs []protocols.Event, proto string) {
	t.Helper()
	if got, want := Units(evs, proto), refUnits(evs, proto); !slices.Equal(got, want) {
		t.Fatalf("Units(%q) differ from the reference on %s:\n got %+v\nwant %+v", proto, describe(evs), got, want)
	}
	got, want := string(SVG(evs, proto)), string(refSVG(evs, proto))
	if got != want {
		t.Fatalf("SVG(%q) differs from the reference on %s:\n%s", proto, describe(evs), firstDifference(got, want))
	}
	if got, want := string(Figure(evs, proto)), string(refFigure(evs, proto)); got != want {
		t.Fatalf("Figure(%q) differs from the reference on %s:\n%s", proto, describe(evs), firstDifference(got, want))
	}
	for _, ev := range evs {
		if got, want := Negative(proto, ev.Text), refNegativeLine(proto, ev.Text); got != want {
			t.Fatalf("Negative(%q, %q) = %v, the reference says %v", proto, ev.Text, got, want)
		}
	}
}

func describe(evs []protocols.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		b.WriteString("\n\t")
		b.WriteString(ev.Prefix())
		if ev.Payload {
			b.WriteString("|payload")
		}
		if ev.NoEOL {
			b.WriteString("|noeol")
		}
		if ev.LF {
			b.WriteString("|lf")
		}
		b.WriteString(" ")
		b.WriteString(strconv.Quote(ev.Text))
	}
	return b.String()
}

func firstDifference(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(i-80, 0)
	return "at byte " + strconv.Itoa(i) + ":\n got …" + strconv.Quote(got[from:min(i+80, len(got))]) + "\nwant …" + strconv.Quote(want[from:min(i+80, len(want))])
}

// protos are the names a session block may carry, by family, and names
// of no family (drawn as their lower-cased selves, escaped).
var protos = []string{"smtp", "SMTPS", "submission", "lmtp", "pop3", "pop3s", "imap", "IMAPS", "http", "https", "", "ftp", `x<&"'>`, "caf\xe9", "ÉTÉ"}

type corpusEntry struct {
	name, proto string
	events      []protocols.Event
}

// corpus is every session block of the course in labs/ and of a generated
// course, the golden transcripts of engine/highlight, the fixtures of
// diagram_test.go and the benchmark's sessions.
func corpus(t testing.TB) []corpusEntry {
	t.Helper()
	var out []corpusEntry
	isSession := func(p string) bool {
		return slices.Contains([]string{"smtp", "smtps", "submission", "lmtp", "pop3", "pop3s", "imap", "imaps", "http", "https"}, p)
	}
	labs, _ := filepath.Glob("../../labs/*.md")
	dir := t.TempDir()
	if _, err := coursegen.Write(dir, coursegen.Options{Labs: 12}); err != nil {
		t.Fatal(err)
	}
	gen, _ := filepath.Glob(filepath.Join(dir, "lab-*.md"))
	if len(labs) == 0 || len(gen) == 0 {
		t.Fatalf("%d labs in labs/, %d generated", len(labs), len(gen))
	}
	for _, path := range append(labs, gen...) {
		l, err := lab.Load(path, isSession)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, b := range l.Blocks {
			out = append(out, corpusEntry{path + "#" + strconv.Itoa(b.Index), b.Proto, engine.WrittenEvents(b)})
		}
	}
	golden, _ := filepath.Glob("../highlight/testdata/golden/*.txt")
	if len(golden) == 0 {
		t.Fatal("no golden transcripts in ../highlight/testdata/golden")
	}
	for _, g := range golden {
		src, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		proto, _, _ := strings.Cut(strings.TrimPrefix(string(src), "proto: "), "\n")
		out = append(out, corpusEntry{g, proto, transcript(goldenEscape.ReplaceAllStringFunc(string(src), unescapeGolden))})
	}
	for name, src := range map[string]string{"pipelinedIMAP": pipelinedIMAP, "starttlsSMTP": starttlsSMTP} {
		proto := strings.ToLower(name[len(name)-4:])
		out = append(out, corpusEntry{name, proto, transcript(src)})
	}
	for _, tc := range benchTranscripts() {
		out = append(out, corpusEntry{tc.name, tc.proto, tc.events})
	}
	return out
}

// The golden files' escapes (engine/highlight/golden_test.go): \xNN,
// \uNNNN and \r stand for the bytes.
var goldenEscape = regexp.MustCompile(`\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\r`)

func unescapeGolden(s string) string {
	if s == `\r` {
		return "\r"
	}
	n, _ := strconv.ParseUint(s[2:], 16, 32)
	if s[1] == 'x' {
		return string([]byte{byte(n)})
	}
	return string(rune(n))
}

// flagged returns a copy of evs with flags set at random as a live run
// sets them: payload lines (bodies, literals), lines without an end or
// with a bare LF, pipelined client lines.
func flagged(r *rand.Rand, evs []protocols.Event) []protocols.Event {
	out := slices.Clone(evs)
	for i := range out {
		e := &out[i]
		if e.Kind == protocols.Note {
			continue
		}
		e.Payload = r.IntN(4) == 0
		e.NoEOL = r.IntN(12) == 0
		e.LF = r.IntN(8) == 0
		if e.Kind == protocols.Client {
			e.Pipelined = r.IntN(4) == 0
		}
	}
	return out
}

// The fast path draws every transcript of the course, the generated
// course and the golden files exactly as the reference does: as written,
// under other protocol names, with flags as a live run sets them, and cut
// short.
func TestSVGMatchesReference(t *testing.T) {
	entries := corpus(t)
	if len(entries) < 100 {
		t.Fatalf("%d transcripts, want the course's, the generated and the golden ones", len(entries))
	}
	r := rand.New(rand.NewPCG(13, 1))
	for _, c := range entries {
		sameSVG(t, c.events, c.proto)
		for range 3 {
			sameSVG(t, c.events, protos[r.IntN(len(protos))])
			sameSVG(t, flagged(r, c.events), c.proto)
		}
		for range 6 {
			n := r.IntN(len(c.events) + 1)
			sameSVG(t, c.events[:n], c.proto)
			sameSVG(t, flagged(r, c.events[:n]), c.proto)
		}
	}
	t.Logf("%d transcripts", len(entries))
}

// Fragments of lines for random transcripts: protocol words that steer
// the grouping and linking, markup to escape, control bytes, invalid and
// cut UTF-8, runes wider than a byte around the 64-rune clip, spaces
// strings.Fields knows and ASCII does not.
var fragments = []string{
	"", " ", "  ", "C", "a1", "A0001", "*", "+", "+OK", "-ERR", ".", "..", ")",
	"OK", "NO", "BAD", "BYE", "PREAUTH", "OK ", "NO ", "BAD ", "* NO ", "* BAD ", "* OK",
	"220", "250", "250-", "250 ", "354", "334", "421", "450 ", "550", "5xx", "4", "2500-",
	"GET", "get", "GeT", "POST", "ÉTÉ", "ß", " / ", " HTTP/1.1", "HTTP/1.1", "HTTP/1.0 ", "200", " 404 ", "500", " 4041",
	"\u00a0", "\u0085", "\u2028", "\u3000", "\t", "\v", "\f", "\r",
	"<", ">", "&", "'", `"`, "&amp;", "<script>", "]]>",
	"\x00", "\x01", "\x1b[31m", "\x7f", "\xc2\x85", "\xc2\x9f", "\xc2\xa0",
	"\xff", "\xfe\xff", "\xe2\x82", "\xe2", "\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\uFFFD", "\xef\xbf\xbd\xff",
	"é", "日本語", "…", "→", "↩", "😀", "\u202e",
	"connected to", "connected to mail.example.com (smtp, port 25)", "TLS ", "TLS 1.3, TLS_AES_128_GCM_SHA256", "TLS handshake failed", "error", "error: reset",
	"connection closed", "closed", "note",
	"FETCH 1 (BODY[] {12}", "{5}", "LIST \"\" *", "APPEND INBOX {310}",
	strings.Repeat("x", 62), strings.Repeat("é", 63), strings.Repeat("a", 64), strings.Repeat("日", 65), strings.Repeat("<", 70),
	strings.Repeat("y", 61) + "\x1b", strings.Repeat("z", 62) + "\x01\x02", strings.Repeat("w", 63) + "\xff\xfe", strings.Repeat("v", 60) + "&<>",
}

func randomEvents(r *rand.Rand) []protocols.Event {
	evs := make([]protocols.Event, r.IntN(30))
	for i := range evs {
		e := &evs[i]
		e.Kind = []protocols.Kind{protocols.Client, protocols.Server, protocols.Server, protocols.Note}[r.IntN(4)]
		var b strings.Builder
		for range r.IntN(5) {
			b.WriteString(fragments[r.IntN(len(fragments))])
			if r.IntN(3) == 0 {
				b.WriteByte(' ')
			}
		}
		e.Text = b.String()
		if e.Kind != protocols.Note {
			e.Payload = r.IntN(5) == 0
			e.NoEOL = r.IntN(10) == 0
			e.LF = r.IntN(8) == 0
			e.Pipelined = e.Kind == protocols.Client && r.IntN(3) == 0
		}
	}
	return evs
}

// Random transcripts reach what the course does not: hostile bytes in
// every place, tags and replies in any order, clips that fall inside an
// escape.
func TestSVGMatchesReferenceRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 2))
	n := 2000
	if testing.Short() {
		n = 500
	}
	for range n {
		sameSVG(t, randomEvents(r), protos[r.IntN(len(protos))])
	}
}

// fuzzEvents decodes fuzz input: one event a line, the first byte less '0'
// its kind (mod 3) and flags (bits 2-5), the rest its text.
func fuzzEvents(data string) []protocols.Event {
	var evs []protocols.Event
	for _, l := range strings.Split(data, "\n") {
		if l == "" {
			continue
		}
		h := l[0] - '0'
		e := protocols.Event{Kind: []protocols.Kind{protocols.Client, protocols.Server, protocols.Note}[h%3], Text: l[1:]}
		e.Payload, e.NoEOL, e.LF, e.Pipelined = h&4 != 0, h&8 != 0, h&16 != 0, h&32 != 0
		evs = append(evs, e)
	}
	return evs
}

func fuzzEncode(evs []protocols.Event) string {
	var b strings.Builder
	for _, e := range evs {
		if strings.Contains(e.Text, "\n") {
			continue
		}
		h := byte(0)
		switch e.Kind {
		case protocols.Server:
			h = 1
		case protocols.Note:
			h = 2
		}
		if e.Payload {
			h |= 4
		}
		if e.NoEOL {
			h |= 8
		}
		if e.LF {
			h |= 16
		}
		if e.Pipelined {
			h |= 32
		}
		b.WriteByte('0' + h)
		b.WriteString(e.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

func FuzzSVGMatchesReference(f *testing.F) {
	for _, c := range corpus(f) {
		f.Add(fuzzEncode(c.events), c.proto)
	}
	f.Fuzz(func(t *testing.T, data, proto string) {
		sameSVG(t, fuzzEvents(data), proto)
	})
}

// The line tests that units.go rewrote without copies give what the
// string functions they replaced give (strings.ToUpper, strings.Fields,
// concatenated prefixes), on every pair of fragments and random triples,
// as they stand and in the place each test looks.
func TestLineTestsMatchReference(t *testing.T) {
	check := func(s string) {
		if got, want := upper(s), strings.ToUpper(s) == s; got != want {
			t.Fatalf("upper(%q) = %v, strings.ToUpper says %v", s, got, want)
		}
		f0, f1, ok := twoFields(s)
		f := strings.Fields(s)
		if ok != (len(f) >= 2) || len(f) >= 1 && f0 != f[0] || len(f) >= 2 && f1 != f[1] {
			t.Fatalf("twoFields(%q) = %q, %q, %v; strings.Fields says %q", s, f0, f1, ok, f)
		}
		for _, line := range []string{s, s + " / HTTP/1.1", "HTTP/1.1" + s, "a1 " + s, "* " + s} {
			if got, want := httpRequestLine(line), refHttpRequestLine(line); got != want {
				t.Fatalf("httpRequestLine(%q) = %v, the reference says %v", line, got, want)
			}
			if got, want := imapResponseStart(line), refImapResponseStart(line); got != want {
				t.Fatalf("imapResponseStart(%q) = %v, the reference says %v", line, got, want)
			}
			for _, p := range []string{"smtp", "pop3", "imap", "http"} {
				if got, want := negative(p, line), refNegative(p, line); got != want {
					t.Fatalf("negative(%q, %q) = %v, the reference says %v", p, line, got, want)
				}
			}
		}
	}
	for _, a := range fragments {
		for _, b := range fragments {
			check(a + b)
			check(a + " " + b)
		}
	}
	r := rand.New(rand.NewPCG(13, 3))
	for range 20000 {
		check(fragments[r.IntN(len(fragments))] + fragments[r.IntN(len(fragments))] + " " + fragments[r.IntN(len(fragments))])
	}
}

// Drawings written at once (a build renders pages in parallel) share no
// buffer: each is the reference's, under the race detector too.
func TestSVGConcurrentMatchesReference(t *testing.T) {
	entries := corpus(t)
	want := make([]string, len(entries))
	for i, c := range entries {
		want[i] = string(refFigure(c.events, c.proto))
	}
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for k := range entries {
				i := (k + g*len(entries)/4) % len(entries)
				if got := string(Figure(entries[i].events, entries[i].proto)); got != want[i] {
					t.Errorf("%s drawn concurrently differs from the reference:\n%s", entries[i].name, firstDifference(got, want[i]))
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}
