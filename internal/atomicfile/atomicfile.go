// Package atomicfile writes files so that a reader (or a process killed
// mid-write) sees the old content or the new, never a part of the new.
//
// Write also makes the new content durable (fsync before the rename): for
// lab files and the transcript cache, which are not easily made again.
// Replace only makes it atomic: for build output, which the next build
// writes again, a crash may lose the new file but never leaves half of it.
package atomicfile

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes data to a temporary file beside path, syncs it, gives it
// perm and renames it over path.
func Write(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, true)
}

// Replace is Write without the sync: atomic, not durable.
func Replace(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, false)
}

func write(path string, data []byte, perm fs.FileMode, sync bool) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// WriteIfChanged is Write, skipped when path already holds data: unchanged
// files keep their modification time.
func WriteIfChanged(path string, data []byte, perm fs.FileMode) error {
	if same(path, data) {
		return nil
	}
	return Write(path, data, perm)
}

// ReplaceIfChanged is Replace, skipped when path already holds data.
func ReplaceIfChanged(path string, data []byte, perm fs.FileMode) error {
	if same(path, data) {
		return nil
	}
	return Replace(path, data, perm)
}

func same(path string, data []byte) bool {
	st, err := os.Stat(path)
	if err != nil || st.Size() != int64(len(data)) {
		return false // the common case in a cold build: no read at all
	}
	old, err := os.ReadFile(path)
	return err == nil && bytes.Equal(old, data)
}

// SyncDir syncs a directory, making the renames into it durable; one call
// after many Replaces costs one fsync instead of one per file.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
