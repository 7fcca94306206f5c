package lab

import (
	"strings"
	"testing"
)

func kindsOf(b *Block) string {
	var sb strings.Builder
	for _, ln := range b.Lines {
		sb.WriteByte("_CPSN"[ln.Kind])
	}
	return sb.String()
}

func TestParseExecBlocks(t *testing.T) {
	src := "# t\n\n```pycon\n>>> for i in range(2):\n...     print(i)\n...\n0\n1\n...\n>>> x = 1\n\n>>>\n\n```\n\n" +
		"```console timeout=5s\n$ echo a \\\n>   b\na b\n> not a continuation\n$ false\n[1]\n```\n\n" +
		"```python run\nprint('hi')\n```\n\n```output\nhi\n```\n\n```python\nnot run\n```\n"
	l, err := Parse("t.md", []byte(src), func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Blocks) != 3 {
		t.Fatalf("got %d blocks, want 3", len(l.Blocks))
	}
	py, sh, run := l.Blocks[0], l.Blocks[1], l.Blocks[2]
	if py.Exec != ExecPycon || kindsOf(py) != "CCCSSSCSC_" {
		t.Errorf("pycon: exec %q kinds %s, want CCCSSSCSC_", py.Exec, kindsOf(py))
	}
	if sh.Exec != ExecConsole || kindsOf(sh) != "CCSSCS" || sh.Attrs["timeout"] != "5s" {
		t.Errorf("console: kinds %s attrs %v", kindsOf(sh), sh.Attrs)
	}
	if run.Exec != ExecPython || len(run.Code) != 1 || run.Code[0].Text != "print('hi')" || kindsOf(run) != "S" {
		t.Errorf("python run: %+v", run)
	}
	if run.CodeLine != 25 || run.Line != 29 || string(l.Source[run.BodyStart:run.BodyEnd]) != "hi\n" {
		t.Errorf("python run: code line %d, output line %d, body %q", run.CodeLine, run.Line, l.Source[run.BodyStart:run.BodyEnd])
	}
	if got := StatementText(ExecPycon, "...     print(i)"); got != "    print(i)" {
		t.Errorf("StatementText = %q", got)
	}
	if got := StatementText(ExecConsole, "$ echo"); got != "echo" {
		t.Errorf("StatementText = %q", got)
	}
}

func TestParseExecErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"```python run\nx\n```\n", "t.md:1: a `python run` block needs an ```output block"},
		{"```python run\nx\n```\n\n```text\nx\n```\n", "t.md:1: a `python run` block needs an ```output block"},
		{"```pycon server=x\n>>> 1\n```\n", `t.md:1: unknown attribute "server"`},
	} {
		_, err := Parse("t.md", []byte(tc.src), func(string) bool { return false })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.src, err, tc.want)
		}
	}
}
