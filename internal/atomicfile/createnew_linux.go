package atomicfile

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// createNew writes data into an unnamed file in path's directory
// (O_TMPFILE) and links it in under path: one directory operation, where
// a temporary name and a rename take three, and all of them wait for
// each other in a directory many writers fill at once. The name appears
// with all of its content, or not at all. created is false, with no
// error, when path exists or the system cannot do this (no O_TMPFILE on
// this file system, no /proc): the caller then writes the usual way.
func createNew(path string, data []byte, perm fs.FileMode, sync bool) (created bool, err error) {
	fd, err := unix.Open(filepath.Dir(path), unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return false, nil
	}
	defer unix.Close(fd)
	for rest := data; len(rest) > 0; {
		n, err := unix.Write(fd, rest)
		if err != nil {
			return false, &fs.PathError{Op: "write", Path: path, Err: err}
		}
		rest = rest[n:]
	}
	if err := unix.Fchmod(fd, uint32(perm.Perm())); err != nil {
		return false, &fs.PathError{Op: "chmod", Path: path, Err: err}
	}
	if sync {
		if err := unix.Fsync(fd); err != nil {
			return false, &fs.PathError{Op: "sync", Path: path, Err: err}
		}
	}
	err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EXDEV) {
		return false, nil // there already, or no /proc: the unnamed file goes with the descriptor
	}
	if err != nil {
		return false, &fs.PathError{Op: "link", Path: path, Err: err}
	}
	return true, nil
}
