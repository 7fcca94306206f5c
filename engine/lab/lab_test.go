package lab

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func isProto(p string) bool {
	return p == "smtp" || p == "pop3" || p == "imap" || p == "http" || p == "smtps"
}

const sample = "---\ntitle: SMTP by hand\nservers:\n  mail: embedded\n  real: smtp://127.0.0.1:2525\n---\n# Intro\n\n```smtp server=mail timeout=5s\nC: EHLO client.example\nS: 250 ok\n\nC+ NOOP\nN: connection closed\nC:\n```\n\n```go\nfmt.Println()\n```\n"

func TestParseBlocks(t *testing.T) {
	l, err := Parse("a.md", []byte(sample), isProto)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if l.Front.Title != "SMTP by hand" {
		t.Errorf("title = %q", l.Front.Title)
	}
	if !l.Front.Servers["mail"].Embedded || l.Front.Servers["real"].URL != "smtp://127.0.0.1:2525" {
		t.Errorf("servers = %+v", l.Front.Servers)
	}
	if len(l.Blocks) != 1 {
		t.Fatalf("got %d blocks, want 1 (the go block is ordinary)", len(l.Blocks))
	}
	b := l.Blocks[0]
	if b.Proto != "smtp" || b.Attrs["server"] != "mail" || b.Attrs["timeout"] != "5s" || b.Line != 9 {
		t.Errorf("block = %+v", b)
	}
	want := []struct {
		kind LineKind
		text string
		num  int
	}{{Client, "EHLO client.example", 10}, {Server, "250 ok", 11}, {Blank, "", 12}, {Pipelined, "NOOP", 13}, {Note, "connection closed", 14}, {Client, "", 15}}
	if len(b.Lines) != len(want) {
		t.Fatalf("got %d lines, want %d", len(b.Lines), len(want))
	}
	for i, w := range want {
		got := b.Lines[i]
		if got.Kind != w.kind || got.Text != w.text || got.Num != w.num {
			t.Errorf("line %d = %+v, want %+v", i, got, w)
		}
	}
	if got := sample[b.BodyStart:b.BodyEnd]; !strings.HasPrefix(got, "C: EHLO") || !strings.HasSuffix(got, "C:\n") {
		t.Errorf("body bytes = %q", got)
	}
}

func TestOpenAttribute(t *testing.T) {
	for src, want := range map[string]bool{
		"```pop3 open\nC: QUIT\n```\n":       true,
		"```pop3 open=true\nC: QUIT\n```\n":  true,
		"```pop3 open=false\nC: QUIT\n```\n": false,
		"```pop3\nC: QUIT\n```\n":            false,
	} {
		l, err := Parse("lab.md", []byte(src), isProto)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if got := l.Blocks[0].Open(); got != want {
			t.Errorf("%q: Open() = %v, want %v", src, got, want)
		}
	}
}

func TestParseErrorsHavePositions(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unknown attribute", "```smtp colour=red\nC: NOOP\n```\n", "lab.md:1: unknown attribute \"colour\""},
		{"not key=value", "text\n\n```smtp fast\nC: NOOP\n```\n", "lab.md:3: attribute \"fast\" is not key=value"},
		{"bad line", "```smtp\nC: NOOP\nX: what\n```\n", "lab.md:3: session line must start with"},
		{"bad yaml", "---\ntitle: [unclosed\n---\n", "lab.md:"},
		{"unclosed front matter", "---\ntitle: x\n", "lab.md:1: front matter: no closing"},
		{"bad server", "---\nservers:\n  mail: nonsense\n---\n", "server must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("lab.md", []byte(tt.src), isProto)
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Parse error = %v, want an ErrorList", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestParseKeepsEveryByte(t *testing.T) {
	srcs := []string{sample, strings.ReplaceAll(sample, "\n", "\r\n"), "```smtp\nC: QUIT", "> ```smtp\n> C: NOOP\n> ```\n", "- item\n\n  ```smtp\n  C: NOOP\n  ```\n", "1. a\n   > quote\n   >\n   > ```smtp\n   > C: NOOP\n   > ```\n"}
	for _, src := range srcs {
		l, err := Parse("x.md", []byte(src), isProto)
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		if string(l.Format()) != src {
			t.Errorf("Format(Parse(%q)) = %q", src, l.Format())
		}
		if len(l.Blocks) != 1 {
			t.Errorf("Parse(%q) found %d blocks, want 1", src, len(l.Blocks))
		}
	}
}

func TestCRLFBlockLines(t *testing.T) {
	src := strings.ReplaceAll(sample, "\n", "\r\n")
	l, err := Parse("x.md", []byte(src), isProto)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Blocks[0].Lines[0].Text; got != "EHLO client.example" {
		t.Errorf("CRLF line text = %q, want no CR", got)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.md"), isProto)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want not-exist", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample)
	f.Add("```smtp\nC: QUIT")
	f.Add("---\n---\n")
	f.Add("```pycon\n>>> for i in x:\n...     print(i)\n...\n0\n...\n\n```\n")
	f.Add("```console\n$ echo a \\\n> b\n[1]\n```\n")
	f.Add("```python run\nprint(1)\n```\n\n```output\n1\n```\n```python run\n```\n")
	f.Fuzz(func(t *testing.T, src string) {
		l, _ := Parse("f.md", []byte(src), isProto)
		if string(l.Format()) != src {
			t.Fatalf("round trip changed bytes")
		}
		for _, b := range l.Blocks {
			if b.BodyStart > b.BodyEnd || b.BodyEnd > len(src) {
				t.Fatalf("bad body range %d..%d", b.BodyStart, b.BodyEnd)
			}
		}
	})
}

// TestLoadFrontAgreesWithLoad: a build orders and titles labs from
// LoadFront before it loads them, so the two must read the same front
// matter and Markdown, whatever is wrong with the file.
func TestLoadFrontAgreesWithLoad(t *testing.T) {
	srcs := []string{
		sample,
		strings.ReplaceAll(sample, "\n", "\r\n"),
		"---\ntitle: T\norder: 3\nsummary: S\n---\n# Heading\n",
		"---\ntitle: [unclosed\norder: 2\n---\nbody\n",
		"---\ntitle: no end\n",
		"no front matter\n```smtp\nC: NOOP\n```\n",
		"---\norder: 1\n---\n\x00binary",
		"\xff\xfe not utf-8",
		"",
	}
	for _, src := range srcs {
		path := filepath.Join(t.TempDir(), "lab.md")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		full, _ := Load(path, isProto)
		front, err := LoadFront(path)
		if err != nil {
			t.Fatalf("LoadFront(%q): %v", src, err)
		}
		if !reflect.DeepEqual(front.Front, full.Front) || string(front.Markdown) != string(full.Markdown) || front.Path != full.Path {
			t.Errorf("LoadFront(%q) = %+v %q, Load gives %+v %q", src, front.Front, front.Markdown, full.Front, full.Markdown)
		}
	}
	if _, err := LoadFront(filepath.Join(t.TempDir(), "missing.md")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFront(missing) = %v", err)
	}
}
