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
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Write writes data to a temporary file beside path, syncs it, gives it
// perm and renames it over path. A symbolic link at path is followed: its
// target is replaced and the link stays a link, as with os.WriteFile.
//
// The temporary file is named ".NAME.tmp-PID-RANDOM" (NAME the target's
// name, PID the writer's process id), so that RemoveStale can tell the
// leftovers of a killed writer.
func Write(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, true)
}

// Replace is Write without the sync: atomic, not durable.
func Replace(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, false)
}

func write(path string, data []byte, perm fs.FileMode, sync bool) error {
	target, err := Target(path)
	if err != nil {
		return err
	}
	return writeTarget(path, target, data, perm, sync)
}

// writeTarget writes data over target (path as the caller named it, for
// errors).
func writeTarget(path, target string, data []byte, perm fs.FileMode, sync bool) error {
	f, err := os.CreateTemp(filepath.Dir(target), tempPrefix(target)+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := fill(f, data, perm, sync); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := rename(tmp, target); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// fill writes, chmods, maybe syncs and closes the temporary file.
func fill(f *os.File, data []byte, perm fs.FileMode, sync bool) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Target is the file a write to path replaces: path itself, or the file a
// symbolic link at path leads to. A link to nothing is an error rather than
// being replaced by a plain file.
func Target(path string) (string, error) {
	st, err := os.Lstat(path)
	if err != nil || st.Mode()&fs.ModeSymlink == 0 {
		return path, nil // a new file, or not a link
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("%s is a symbolic link to a file that cannot be reached: %w", path, err)
	}
	return target, nil
}

func tempPrefix(target string) string { return "." + filepath.Base(target) + ".tmp-" }

// WriteIfChanged is Write, skipped when path already holds data: unchanged
// files keep their modification time.
func WriteIfChanged(path string, data []byte, perm fs.FileMode) error {
	return writeIfChanged(path, data, perm, true)
}

// ReplaceIfChanged is Replace, skipped when path already holds data.
func ReplaceIfChanged(path string, data []byte, perm fs.FileMode) error {
	return writeIfChanged(path, data, perm, false)
}

// ReplaceNew is ReplaceIfChanged for a file that most likely does not
// exist yet (the pages of a build into an empty directory): it is created
// without looking first, and with one directory operation where the
// system allows (Linux: O_TMPFILE and linkat); if it exists after all,
// ReplaceIfChanged.
func ReplaceNew(path string, data []byte, perm fs.FileMode) error {
	if created, err := createNew(path, data, perm, false); created || err != nil {
		return err
	}
	return ReplaceIfChanged(path, data, perm)
}

// writeIfChanged looks at path once: a missing file is written at once
// (the common case in a cold build, where a look-up of a name that does
// not exist waits for every file being created in the same directory),
// a plain file is compared, a link is followed as Write does.
func writeIfChanged(path string, data []byte, perm fs.FileMode, sync bool) error {
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return writeTarget(path, path, data, perm, sync)
	case err == nil && st.Mode().IsRegular():
		if holds(path, st, data) {
			return nil
		}
		return writeTarget(path, path, data, perm, sync)
	}
	if st, err := os.Stat(path); err == nil && holds(path, st, data) {
		return nil // a link to a file that holds data
	}
	return write(path, data, perm, sync)
}

// holds reports whether the file at path, whose FileInfo is st, holds
// data: read only when the sizes agree.
func holds(path string, st fs.FileInfo, data []byte) bool {
	if st.Size() != int64(len(data)) {
		return false
	}
	old, err := os.ReadFile(path)
	return err == nil && bytes.Equal(old, data)
}
