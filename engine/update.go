package engine

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/wirebook/wirebook/engine/check"
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
		// A block the environment has no entry for is recorded even when
		// the lab's own lines match it.
		if s.Comparison.Match && s.Comparison.Written && (r.env == nil || !r.env.usesLab(s.Block.Index)) {
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

// WriteUpdate writes a lab run's accepted changes: into the lab, or under
// an environment with its own transcripts into its transcript file (the
// lab is then left alone). The file must still hold what was read.
func WriteUpdate(r *LabResult, changes []BlockUpdate) error {
	if r.env != nil {
		return writeEnvUpdate(r, changes)
	}
	return WriteLab(r.Lab.Path, r.Lab.Source, Apply(r.Lab.Source, changes))
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

// RemoveStaleTemps removes the temporary files that earlier runs killed
// while writing path left beside it (atomicfile.RemoveStale says which
// count as stale), and returns them.
func RemoveStaleTemps(path string) ([]string, error) {
	return atomicfile.RemoveStale(path, time.Now())
}
