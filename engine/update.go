package engine

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wirebook/wirebook/engine/check"
	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/internal/atomicfile"
)

// ErrChangedOnDisk is returned by WriteLab when the file changed after it
// was read: writing would lose the other edit.
var ErrChangedOnDisk = errors.New("the file changed on disk since it was read; run update again")

// BlockUpdate is one block whose written transcript differs from the run.
type BlockUpdate struct {
	Session    *SessionResult
	Comparison *check.Comparison
}

// PlanUpdate returns the blocks of a lab run whose server side would
// change, and the blocks left alone because their session failed.
func PlanUpdate(r *LabResult) (changes []BlockUpdate, skipped []*SessionResult) {
	if r.Lab == nil || r.Err != nil {
		return nil, nil
	}
	for _, s := range r.Sessions {
		if s.Status == StatusFailed {
			skipped = append(skipped, s)
			continue
		}
		if s.Comparison == nil {
			continue
		}
		if s.Comparison.Match && s.Comparison.Written {
			continue
		}
		changes = append(changes, BlockUpdate{Session: s, Comparison: s.Comparison})
	}
	return changes, skipped
}

// Apply returns the lab's source with the given blocks rewritten.
func Apply(src []byte, changes []BlockUpdate) []byte {
	comps := make([]*check.Comparison, len(changes))
	for i, c := range changes {
		comps[i] = c.Comparison
	}
	return check.Rewrite(src, comps)
}

// WriteResult writes an updated lab (or environment transcript file) for a
// run: the lab's file must still hold what was read.
func WriteResult(l *lab.Lab, data []byte) error {
	switch {
	case l.Missing:
		if _, err := os.Stat(l.Path); err == nil {
			return fmt.Errorf("%s: %w", l.Path, ErrChangedOnDisk)
		}
		if err := os.MkdirAll(filepath.Dir(l.Path), 0o755); err != nil {
			return err
		}
		return atomicfile.Write(l.Path, data, 0o644)
	case l.Disk != nil:
		return WriteLab(l.Path, l.Disk, data)
	}
	return WriteLab(l.Path, l.Source, data)
}

// WriteLab replaces path's content, which must still be orig, with data:
// written to a temporary file beside it (same permissions) and renamed, so
// the lab is never left half-written.
func WriteLab(path string, orig, data []byte) error {
	now, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !bytes.Equal(now, orig) {
		return fmt.Errorf("%s: %w", path, ErrChangedOnDisk)
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	// Last look just before writing: an editor may have saved meanwhile.
	if again, err := os.ReadFile(path); err != nil || !bytes.Equal(again, orig) {
		return fmt.Errorf("%s: %w", path, ErrChangedOnDisk)
	}
	return atomicfile.Write(path, data, st.Mode().Perm())
}
