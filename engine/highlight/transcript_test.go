package highlight

import (
	"html"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wirebook/wirebook/protocols"
)

func ev(k protocols.Kind, text string) protocols.Event { return protocols.Event{Kind: k, Text: text} }

func payload(k protocols.Kind, text string) protocols.Event {
	return protocols.Event{Kind: k, Text: text, Payload: true}
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// textContent is what a reader copies: the markup removed, entities decoded.
func textContent(s string) string { return html.UnescapeString(tagRE.ReplaceAllString(s, "")) }

func TestTranscriptEscapesServerText(t *testing.T) {
	events := []protocols.Event{
		ev(protocols.Server, `220 <script>alert("x")</script> & 'hi'`),
		ev(protocols.Client, `EHLO <img src=x onerror=alert(1)>`),
	}
	got := string(Transcript(events, "smtp", TranscriptOptions{}))
	for _, bad := range []string{"<script", "<img", `"x"`} {
		if strings.Contains(got, bad) {
			t.Errorf("Transcript output contains %q unescaped:\n%s", bad, got)
		}
	}
	want := "S: 220 <script>alert(\"x\")</script> & 'hi'\nC: EHLO <img src=x onerror=alert(1)>\n"
	if tc := textContent(got); tc != want {
		t.Errorf("text content = %q, want %q", tc, want)
	}
}

func TestTranscriptControlCharacters(t *testing.T) {
	tests := []struct {
		name, text, wantHTML, wantText string
	}{
		{"escape sequence", "\x1b[31mred", `<span class="wb-ctl">\x1b</span>[31mred`, `\x1b[31mred`},
		{"nul and bell", "a\x00b\x07", `a<span class="wb-ctl">\x00</span>b<span class="wb-ctl">\x07</span>`, `a\x00b\x07`},
		{"lone carriage return", "over\rwrite", `over<span class="wb-ctl">\x0d</span>write`, `over\x0dwrite`},
		{"invalid utf-8", "caf\xe9", `caf<span class="wb-ctl">\xe9</span>`, `caf\xe9`},
		{"bidi override", "abc\u202edef", `abc<span class="wb-ctl">\u202e</span>def`, `abc\u202edef`},
		{"c1 control", "x\u009by", `x<span class="wb-ctl">\u009b</span>y`, `x\u009by`},
		{"real replacement char is kept in order", "\ufffd\x01\ufffd", "\ufffd<span class=\"wb-ctl\">\\x01</span>\ufffd", "\ufffd\\x01\ufffd"},
		{"tab is kept", "a\tb", "a\tb", "a\tb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Transcript([]protocols.Event{ev(protocols.Server, tt.text)}, "", TranscriptOptions{}))
			if !strings.Contains(got, tt.wantHTML) {
				t.Errorf("Transcript(%q) = %s\nwant it to contain %s", tt.text, got, tt.wantHTML)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Transcript(%q) is not valid UTF-8", tt.text)
			}
			if raw := rawControl(got); raw >= 0 {
				t.Errorf("Transcript(%q) has raw control %#x", tt.text, raw)
			}
			if tc := textContent(got); tc != "S: "+tt.wantText+"\n" {
				t.Errorf("text content = %q, want %q", tc, "S: "+tt.wantText+"\n")
			}
		})
	}
}

// rawControl returns the first control character other than tab and line
// feed in s, or -1.
func rawControl(s string) rune {
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) {
			return r
		}
	}
	return -1
}

func TestTranscriptLines(t *testing.T) {
	events := []protocols.Event{
		ev(protocols.Note, "connected to mail (smtp, port 25)"),
		ev(protocols.Server, "220 mail.example.com ESMTP"),
		ev(protocols.Client, "QUIT"),
		ev(protocols.Server, "221 2.0.0 Bye"),
		ev(protocols.Note, "error: the server closed the connection"),
		{Kind: protocols.Server, Text: "partial", NoEOL: true},
	}
	got := string(Transcript(events, "smtp", TranscriptOptions{}))
	if !strings.HasPrefix(got, `<pre class="wb-transcript" data-proto="smtp"><code>`) || !strings.HasSuffix(got, `</code></pre>`) {
		t.Errorf("Transcript wrapper wrong:\n%s", got)
	}
	for _, want := range []string{
		`<span class="wb-line wb-n"><span class="wb-gutter">N: </span>`,
		`<span class="wb-line wb-s"><span class="wb-gutter">S: </span><span class="wb-text"><span class="gi">220</span>`,
		`<span class="wb-line wb-c"><span class="wb-gutter">C: </span><span class="wb-text"><span class="k">QUIT</span>`,
		`<span class="wb-line wb-n wb-err">`,
		`<span class="wb-noeol"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Transcript output lacks %s\n%s", want, got)
		}
	}
	// The prefixes are text: a copy keeps who said what.
	wantText := "N: connected to mail (smtp, port 25)\nS: 220 mail.example.com ESMTP\nC: QUIT\nS: 221 2.0.0 Bye\nN: error: the server closed the connection\nS: partial\n"
	if tc := textContent(got); tc != wantText {
		t.Errorf("text content = %q, want %q", tc, wantText)
	}
	if n, m := strings.Count(got, "<span"), strings.Count(got, "</span>"); n != m {
		t.Errorf("%d <span> but %d </span>", n, m)
	}
	if n := strings.Count(got, `class="wb-line`); n != len(events) {
		t.Errorf("%d lines, want %d", n, len(events))
	}
}

func TestTranscriptHostileProto(t *testing.T) {
	got := string(Transcript(nil, `"><script>`, TranscriptOptions{}))
	if strings.Contains(got, "<script>") {
		t.Errorf("Transcript with hostile proto = %s", got)
	}
}

func TestTranscriptPayloadIsPlain(t *testing.T) {
	events := []protocols.Event{
		ev(protocols.Server, "354 go ahead"),
		payload(protocols.Client, "MAIL FROM:<not-a-command>"),
		ev(protocols.Client, "."),
	}
	got := string(Transcript(events, "smtp", TranscriptOptions{}))
	if !strings.Contains(got, `<span class="wb-line wb-c wb-p">`) {
		t.Errorf("payload line lacks wb-p:\n%s", got)
	}
	if strings.Contains(got, `<span class="k">MAIL</span>`) {
		t.Errorf("payload line highlighted as a command:\n%s", got)
	}
}

func bodyLines(n, width int) []protocols.Event {
	var out []protocols.Event
	for range n {
		out = append(out, payload(protocols.Client, strings.Repeat("x", width)))
	}
	return out
}

// A fold counts the bytes that crossed the wire: a body sent with bare
// LFs (an HTTP entity) is one byte a line shorter than with CRLF, and the
// open option shows it unfolded.
func TestFoldCountsRealLineEnds(t *testing.T) {
	var events []protocols.Event
	for range 9 {
		events = append(events, protocols.Event{Kind: protocols.Server, Text: "abcd", Payload: true, LF: true})
	}
	got := string(Transcript(events, "http", TranscriptOptions{}))
	if want := `<summary>body — 9 lines, 45 bytes</summary>`; !strings.Contains(got, want) {
		t.Errorf("want %s in\n%s", want, got)
	}
	open := string(Transcript(events, "http", TranscriptOptions{Open: true}))
	if !strings.Contains(open, `<details class="wb-payload" open><summary>`) {
		t.Errorf("Open does not open the fold:\n%s", open)
	}
}

func TestTranscriptFolding(t *testing.T) {
	tests := []struct {
		name        string
		lines       int
		width       int
		fold        int
		proto       string
		wantSummary string // "" when the run must not fold
	}{
		{"default threshold keeps 8", 8, 10, 0, "smtp", ""},
		{"default threshold folds 9", 9, 10, 0, "smtp", "message body — 9 lines, 108 bytes"},
		{"thousands grouped", 10, 121, 0, "smtp", "message body — 10 lines, 1 230 bytes"},
		{"custom threshold", 4, 0, 3, "imap", "message body — 4 lines, 8 bytes"},
		{"custom threshold keeps", 3, 0, 3, "imap", ""},
		{"negative never folds", 100, 1, -1, "smtp", ""},
		{"http says body", 9, 1, 0, "https", "body — 9 lines, 27 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := append([]protocols.Event{ev(protocols.Server, "354 go")}, bodyLines(tt.lines, tt.width)...)
			events = append(events, ev(protocols.Client, "."))
			got := string(Transcript(events, tt.proto, TranscriptOptions{FoldLines: tt.fold}))
			folds := strings.Count(got, `<details class="wb-payload">`)
			if tt.wantSummary == "" {
				if folds != 0 {
					t.Errorf("folded %d runs, want none:\n%s", folds, got)
				}
				return
			}
			if folds != 1 || strings.Count(got, "</details>") != 1 {
				t.Fatalf("folded %d runs, want 1:\n%s", folds, got)
			}
			want := `<details class="wb-payload"><summary>` + tt.wantSummary + `</summary>`
			if !strings.Contains(got, want) {
				t.Errorf("want %s in\n%s", want, got)
			}
			// The fold holds exactly the body lines, not the lines around.
			inside := got[strings.Index(got, "<details"):strings.Index(got, "</details>")]
			if n := strings.Count(inside, `class="wb-line`); n != tt.lines {
				t.Errorf("%d lines inside the fold, want %d", n, tt.lines)
			}
		})
	}
}

func TestTranscriptFoldsRunsSeparately(t *testing.T) {
	var events []protocols.Event
	events = append(events, bodyLines(9, 1)...)
	events = append(events, ev(protocols.Server, "250 ok"))
	events = append(events, bodyLines(2, 1)...)
	for range 9 {
		events = append(events, payload(protocols.Server, "y"))
	}
	got := string(Transcript(events, "smtp", TranscriptOptions{}))
	// 9 client lines fold; 2 client lines then 9 server lines are two runs:
	// the client run is short, the server run folds on its own.
	if n := strings.Count(got, "<details"); n != 2 {
		t.Errorf("%d folds, want 2:\n%s", n, got)
	}
}

func TestGroupThousands(t *testing.T) {
	tests := map[int]string{0: "0", 999: "999", 1000: "1 000", 1234567: "1 234 567"}
	for n, want := range tests {
		if got := groupThousands(n); got != want {
			t.Errorf("groupThousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func FuzzTranscript(f *testing.F) {
	f.Add("smtp", "220 hi\x1b[2J\n<b>bold</b>\n\xff\xfe\u202e", uint8(3))
	f.Add("imap", "* 1 FETCH (BODY[] {5}\nhello)\na OK", uint8(0))
	f.Add("http", "HTTP/1.1 200 OK\nX: <y>\n\nbody", uint8(9))
	f.Fuzz(func(t *testing.T, proto, text string, bits uint8) {
		var events []protocols.Event
		for i, line := range strings.Split(text, "\n") {
			k := protocols.Kind(1 + (i+int(bits))%3)
			events = append(events, protocols.Event{Kind: k, Text: line, Payload: bits&(1<<(i%8)) != 0})
		}
		got := string(Transcript(events, proto, TranscriptOptions{FoldLines: int(bits % 5)}))
		if !utf8.ValidString(got) {
			t.Fatalf("output is not valid UTF-8")
		}
		if r := rawControl(got); r >= 0 {
			t.Fatalf("output has raw control %#x", r)
		}
		if n := strings.Count(got, `class="wb-line`); n != len(events) {
			t.Fatalf("%d lines for %d events", n, len(events))
		}
		var want strings.Builder
		for _, e := range events {
			want.WriteString(e.Prefix() + " ")
			want.WriteString(Neutralise(e.Text))
			want.WriteByte('\n')
		}
		tc := textContent(regexp.MustCompile(`<summary>[^<]*</summary>`).ReplaceAllString(got, ""))
		if tc != want.String() {
			t.Fatalf("text content = %q, want %q", tc, want.String())
		}
	})
}
