package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wirebook/wirebook/internal/atomicfile"
	"github.com/wirebook/wirebook/site"
)

// Manifest is what the last build made of each lab, so that a build can
// tell by reading and hashing files, without loading the lab, that a lab
// and its page are unchanged: the lab's key (a hash of everything its
// result was made from), its place in the course, its summary for the
// index, and the key of its page.
type Manifest struct {
	file string
	Labs map[string]ManifestLab `json:"labs"` // by lab file, as the build was given it
}

// ManifestLab is one lab's record.
type ManifestLab struct {
	Key     string          `json:"key"`
	Files   []string        `json:"files,omitempty"` // the files besides the lab its result was made from
	Order   int             `json:"order"`           // as engine.SortResults orders
	Path    string          `json:"path"`
	Summary site.LabSummary `json:"summary"`
	Page    string          `json:"page"`
}

const manifestFile = "build.json"

// LoadManifest reads the manifest kept in a page cache directory; a
// missing or unreadable one is empty (every lab is loaded).
func LoadManifest(dir string) *Manifest {
	m := &Manifest{file: filepath.Join(dir, manifestFile)}
	if data, err := os.ReadFile(m.file); err == nil {
		_ = json.Unmarshal(data, m)
	}
	if m.Labs == nil {
		m.Labs = map[string]ManifestLab{}
	}
	return m
}

// Save replaces the manifest; losing it only costs loading every lab once.
func (m *Manifest) Save(labs map[string]ManifestLab) error {
	data, err := json.Marshal(Manifest{Labs: labs})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(m.file), 0o755); err != nil {
		return err
	}
	return atomicfile.ReplaceIfChanged(m.file, data, 0o644)
}

// InputKey hashes a lab's inputs: this wirebook, the engine's options
// key, the lab's path and source, and the contents of its other input
// files (a missing file counts as missing). It is "" when the files cannot
// be read.
func InputKey(options, path string, source []byte, files []string) string {
	h := sha256.New()
	build := buildID()
	fmt.Fprintf(h, "%d:%s;%d:%s;%d:%s;%d;", len(build), build, len(options), options, len(path), path, len(source))
	h.Write(source)
	for _, f := range files {
		data, err := os.ReadFile(f)
		switch {
		case os.IsNotExist(err):
			fmt.Fprintf(h, "%d:%s;-;", len(f), f)
		case err != nil:
			return ""
		default:
			fmt.Fprintf(h, "%d:%s;%d;", len(f), f, len(data))
			h.Write(data)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// PageKey hashes what a lab page is made of once the lab's key is known:
// the course around it, the neighbours it links to, this wirebook.
func PageKey(labKey string, course Course, prev, next *site.LabSummary) string {
	data, _ := json.Marshal(struct {
		Lab, Title, Build string
		Live              bool
		Prev, Next        *site.LabSummary
	}{labKey, course.Title, buildID(), course.LiveReload, prev, next})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// SortOrder is a lab's place in the course as engine.SortResults orders:
// its front matter "order", labs without one last.
func SortOrder(order int) int {
	if order == 0 {
		return 1 << 30
	}
	return order
}
