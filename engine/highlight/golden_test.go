package highlight

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols"
)

// Golden cases live in testdata/golden: NAME.txt is a transcript, NAME.html
// and NAME.term what Transcript and PlainTerminal make of it. Regenerate
// with UPDATE_GOLDEN=1 go test ./engine/highlight/.
//
// The input is the lab transcript format with a header ("proto: smtp",
// optional "fold: N"), "C+ " for a pipelined client line, and two test-only markers: "C| "/"S| " for payload
// lines and "S~ " for a line that ended without a line end. \xNN, \uNNNN
// and \r stand for the bytes, so control characters stay readable here.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	update := os.Getenv("UPDATE_GOLDEN") != ""
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".txt")
		t.Run(name, func(t *testing.T) {
			proto, opts, events := readGoldenInput(t, in)
			outputs := map[string]string{
				".html": string(Transcript(events, proto, opts)) + "\n",
				".term": PlainTerminal(events, false),
			}
			for ext, got := range outputs {
				path := strings.TrimSuffix(in, ".txt") + ext
				if update {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from the golden file\n got: %s\nwant: %s", path, got, want)
				}
			}
		})
	}
}

var goldenEscape = regexp.MustCompile(`\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\r`)

func readGoldenInput(t *testing.T, path string) (string, TranscriptOptions, []protocols.Event) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		proto  string
		opts   TranscriptOptions
		events []protocols.Event
	)
	kinds := map[byte]protocols.Kind{'C': protocols.Client, 'S': protocols.Server, 'N': protocols.Note}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "proto: "):
			proto = strings.TrimPrefix(line, "proto: ")
			continue
		case strings.HasPrefix(line, "fold: "):
			opts.FoldLines, err = strconv.Atoi(strings.TrimPrefix(line, "fold: "))
			if err != nil {
				t.Fatalf("%s:%d: %v", path, n, err)
			}
			continue
		}
		kind, ok := kinds[line[0]]
		if len(line) < 3 || !ok || line[2] != ' ' {
			t.Fatalf("%s:%d: not a transcript line: %q", path, n, line)
		}
		e := protocols.Event{Kind: kind, Text: goldenEscape.ReplaceAllStringFunc(line[3:], unescapeGolden)}
		switch line[1] {
		case '|':
			e.Payload = true
		case '~':
			e.NoEOL = true
		case '+':
			e.Pipelined = true
		}
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return proto, opts, events
}

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
