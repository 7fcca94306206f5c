package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// On Linux a new file is made by O_TMPFILE and linkat, not by the
// fallback; where the file system cannot, the test says so.
func TestCreateNewLinksAnUnnamedFile(t *testing.T) {
	dir := t.TempDir()
	if fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY, 0o600); errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) {
		t.Skipf("the file system of %s has no O_TMPFILE: %v", dir, err)
	} else if err == nil {
		unix.Close(fd)
	}
	p := filepath.Join(dir, "a")
	created, err := createNew(p, []byte("data"), 0o640, true)
	if err != nil || !created {
		t.Fatalf("createNew = %v, %v; want created", created, err)
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o640 || st.Size() != 4 {
		t.Fatalf("stat: %v %v", st, err)
	}
	created, err = createNew(p, []byte("other"), 0o640, false)
	if err != nil || created {
		t.Errorf("createNew over an existing file = %v, %v; want not created, no error", created, err)
	}
	if got, _ := os.ReadFile(p); string(got) != "data" {
		t.Errorf("an existing file was changed: %q", got)
	}
}
