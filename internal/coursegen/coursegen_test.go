package coursegen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The benchmark's course must be the same bytes every time, or runs at
// different times measure different inputs.
func TestWriteIsDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	na, err := Write(a, Options{Labs: 3, HugoDir: filepath.Join(a, "hugo")})
	if err != nil {
		t.Fatal(err)
	}
	nb, err := Write(b, Options{Labs: 3, HugoDir: filepath.Join(b, "hugo")})
	if err != nil {
		t.Fatal(err)
	}
	if na != nb || na < 3*8000 {
		t.Fatalf("sizes %d, %d: want equal and about 12 KB a lab", na, nb)
	}
	for _, name := range []string{"index.md", "lab-00001.md", "lab-00003.md", "hugo/content/lab-00002.md", "hugo/hugo.toml"} {
		x, err1 := os.ReadFile(filepath.Join(a, name))
		y, err2 := os.ReadFile(filepath.Join(b, name))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between runs (%v, %v)", name, err1, err2)
		}
	}
	one, _ := os.ReadFile(filepath.Join(a, "lab-00001.md"))
	two, _ := os.ReadFile(filepath.Join(a, "lab-00002.md"))
	if bytes.Equal(one, two) {
		t.Error("two labs are the same")
	}
	if n := bytes.Count(one, []byte("\n```smtp\n")) + bytes.Count(one, []byte("\n```imap\n")) + bytes.Count(one, []byte("\n```pop3\n")) + bytes.Count(one, []byte("\n```http\n")); n != 10 {
		t.Errorf("lab-00001 has %d session blocks, want 10", n)
	}
}
