package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A writer holds its temporary file for the time it takes to write one
// file: milliseconds. One killed mid-write (kill -9, a power cut) leaves it
// behind. These ages keep RemoveStale clear of a concurrent writer:
const (
	// StaleAge: a temporary file this old is a leftover, whoever made it.
	StaleAge = 10 * time.Minute
	// DeadOwnerAge: a temporary file whose writer's process id is no
	// running process here is a leftover once this old. The margin covers a
	// writer in another pid namespace (a container) sharing the directory.
	DeadOwnerAge = time.Minute
)

// RemoveStale removes the leftover temporary files of earlier, killed
// writes of path (or of the file a link at path leads to): only files named
// as Write names them (".NAME.tmp-PID-RANDOM", or ".NAME.tmp-RANDOM" as
// older versions did), only regular files, and only stale ones (see
// StaleAge, DeadOwnerAge). It returns the paths removed.
func RemoveStale(path string, now time.Time) ([]string, error) {
	target, err := Target(path)
	if err != nil {
		return nil, err
	}
	dir, prefix := filepath.Dir(target), tempPrefix(target)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // nothing written there yet
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		pid, ok := ownerOf(rest)
		if !ok {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		age := now.Sub(info.ModTime())
		if age < StaleAge && (pid == 0 || processAlive(pid) || age < DeadOwnerAge) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Remove(p); err == nil {
			removed = append(removed, p)
		}
	}
	return removed, nil
}

// ownerOf reads "PID-RANDOM" (pid > 0) or the older "RANDOM" (pid 0);
// ok is false for any other name.
func ownerOf(rest string) (pid int, ok bool) {
	first, second, two := strings.Cut(rest, "-")
	if !digits(first) || (two && !digits(second)) {
		return 0, false
	}
	if !two {
		return 0, true
	}
	pid, err := strconv.Atoi(first)
	return pid, err == nil && pid > 0
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
