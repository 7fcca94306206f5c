//go:build unix

package atomicfile

import (
	"os"
	"syscall"
)

// rename is rename(2) itself: os.Rename first looks the new name up to
// refuse a directory there, which rename(2) refuses too (EISDIR), and that
// look-up waits behind every file being created in the directory.
func rename(from, to string) error {
	if err := syscall.Rename(from, to); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}
