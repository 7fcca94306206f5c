package mailstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFile, in a store's directory, holds the pid of the process that has
// the store open: two processes writing one store would each keep their
// own idea of its UIDs.
const lockFile = "wirebook.lock"

// ErrStoreInUse is returned by Open for a store another process has open.
var ErrStoreInUse = errors.New("mailstore: the store is in use")

// lockDir takes dir's lock; a lock left by a process that is gone is
// taken over.
func lockDir(dir string) error {
	path := filepath.Join(dir, lockFile)
	for try := 0; try < 2; try++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = fmt.Fprintf(f, "%d\n", os.Getpid())
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		}
		if !errors.Is(err, os.ErrExist) {
			return err
		}
		data, _ := os.ReadFile(path)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && processAlive(pid) {
			return fmt.Errorf("%w: %s is open in process %d (another wirebook servers?)", ErrStoreInUse, dir, pid)
		}
		os.Remove(path) // left by a process that is gone
	}
	return fmt.Errorf("%w: cannot lock %s", ErrStoreInUse, dir)
}

func processAlive(pid int) bool {
	if pid == os.Getpid() {
		return true // this process: open twice here
	}
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}

// Close releases a store made by Open; the store must not be used after.
// It does nothing for a store in memory.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.disk == nil || s.disk.closed {
		return nil
	}
	s.disk.closed = true
	return os.Remove(filepath.Join(s.disk.root, lockFile))
}
