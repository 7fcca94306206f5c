package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/internal/atomicfile"
	"github.com/wirebook/wirebook/protocols"
)

// Version is wirebook's version; it is part of every cache key, so a new
// wirebook re-runs every session once.
const Version = "0.1.0"

// cacheFormat changes whenever what the cache stores changes meaning, so
// that files written by another build of wirebook are never trusted.
const cacheFormat = "3" // 3: client events keep their C+ mark

// Cache keeps each lab's transcripts under a directory (.wirebook/cache),
// one JSON file per lab, written atomically: a build killed mid-write
// leaves the previous file or none, never half of one.
type Cache struct {
	Dir string
}

// cacheFile is what is stored for one lab.
type cacheFile struct {
	Version string        `json:"version"`
	Lab     string        `json:"lab"`
	Blocks  []cachedBlock `json:"blocks"`
	// Duration is how long the lab took (reset included), as --shard
	// balances by it. A sharded run leaves it alone and records only
	// LastDuration: shards that share a cache directory, one after another,
	// must keep cutting the course the same way. An unsharded run and a
	// merge of the shards' caches set it from LastDuration.
	Duration     time.Duration `json:"duration_ns,omitempty"`
	LastDuration time.Duration `json:"last_duration_ns,omitempty"`
}

// cachedBlock is one session's stored result and the keys it was made under.
type cachedBlock struct {
	Keys     blockKeys         `json:"keys"`
	Events   []protocols.Event `json:"events"`
	Err      string            `json:"err,omitempty"`
	Server   string            `json:"server"`
	Software string            `json:"software,omitempty"`
	Embedded bool              `json:"embedded,omitempty"`
	Insecure bool              `json:"insecure,omitempty"`
	When     time.Time         `json:"when"`
	// TLSRefused keeps a stopped session's meaning for expect= and check.
	TLSRefused bool `json:"tls_refused,omitempty"`
	Raised     bool `json:"raised,omitempty"`
	RaisedAt   int  `json:"raised_at,omitempty"`
}

// blockKeys are the hashes of everything that affects a session's
// transcript; --explain names the one that changed.
type blockKeys struct {
	Block    string `json:"block"`    // protocol, attributes and client lines of this block
	Earlier  string `json:"earlier"`  // the same for every earlier block of the lab
	Servers  string `json:"servers"`  // the server configuration in force
	Fixtures string `json:"fixtures"` // fixture entries and file contents
	Version  string `json:"version"`
	// Interp is the interpreter that runs an executable block (python3's
	// or bash's version), "" for a session block.
	Interp string `json:"interp,omitempty"`
}

func hashStrings(parts ...string) string {
	h := sha256.New()
	var stack [512]byte
	buf := stack[:0]
	for _, p := range parts {
		// "len:part;" for each part, as fmt.Fprintf(h, "%d:%s;") wrote it.
		buf = strconv.AppendInt(buf[:0], int64(len(p)), 10)
		buf = append(append(append(buf, ':'), p...), ';')
		h.Write(buf)
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:12]) // the first 24 hex digits
}

// blockHash covers what is sent, not the S: lines: those are expectations,
// compared again on every build.
func blockHash(b *lab.Block) string {
	parts := make([]string, 1, 1+2*(len(b.Code)+len(b.Lines)))
	parts[0] = hashedInfo(b.InfoText)
	for _, lines := range [][]lab.Line{b.Code, b.Lines} {
		for _, ln := range lines {
			if ln.Kind == lab.Client || ln.Kind == lab.Pipelined {
				parts = append(parts, strconv.Itoa(int(ln.Kind)), ln.Text)
			}
		}
	}
	return hashStrings(parts...)
}

// displayOnly are the fence attributes that change how a block is shown,
// never what it sends or what the server says.
var displayOnly = map[string]bool{"open": true}

// hashedInfo is a fence's info string as far as it can change a session:
// without its display-only attributes, so that unfolding a block on its
// page keeps its cached transcript and its environments' recorded ones.
// An info string without them is hashed as it always was.
func hashedInfo(info string) string {
	if !hasDisplayOnly(info) {
		return info // nearly every block: no split, no copy
	}
	fields := strings.Fields(info)
	kept := make([]string, 0, len(fields))
	for i, f := range fields {
		if k, _, _ := strings.Cut(f, "="); i > 0 && displayOnly[k] {
			continue
		}
		kept = append(kept, f)
	}
	if len(kept) == len(fields) {
		return info
	}
	return strings.Join(kept, " ")
}

func hasDisplayOnly(info string) bool {
	for k := range displayOnly {
		if strings.Contains(info, k) {
			return true
		}
	}
	return false
}

func (e *Engine) labKeys(l *lab.Lab) ([]blockKeys, error) {
	serverJSON, _ := json.Marshal(struct {
		Lab       map[string]lab.ServerEntry
		Overrides map[string]lab.ServerEntry
		Vars      map[string]string
		Masks     []string
		Limits    []map[string]string `json:",omitempty"`
	}{l.Front.Servers, e.opts.Servers, l.Front.Vars, l.Front.Masks, limitsKey(l.Front.Limits, e.opts.Limits)})
	fixtures := []string{}
	for _, f := range l.Front.Fixtures {
		fixtures = append(fixtures, f.User, f.Mailbox, f.File, strings.Join(f.Flags, ","))
		if f.File != "" {
			data, err := os.ReadFile(filepath.Join(filepath.Dir(l.Path), filepath.FromSlash(f.File)))
			if err != nil {
				return nil, err
			}
			fixtures = append(fixtures, string(data))
		}
	}
	// What the embedded web server serves is part of the transcript too.
	for _, p := range webRootFiles(l) {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(filepath.Dir(l.Path), p)
		fixtures = append(fixtures, "web_root:"+filepath.ToSlash(rel), string(data))
	}
	servers, fx := hashStrings(string(serverJSON)), hashStrings(fixtures...)
	keys := make([]blockKeys, 0, len(l.Blocks))
	var earlier strings.Builder // the hashes of the blocks so far, one after another
	for _, b := range l.Blocks {
		bh := blockHash(b)
		keys = append(keys, blockKeys{Block: bh, Earlier: hashStrings(earlier.String()), Servers: servers, Fixtures: fx, Version: Version, Interp: interpreterKey(b)})
		earlier.WriteString(bh)
	}
	return keys, nil
}

// path names a lab's cache file by the lab's path relative to the course
// (the directory holding .wirebook/cache), so that CI jobs with checkouts
// in different places can exchange caches; a lab outside the course is
// named by its absolute path.
func (c *Cache) path(labPath string) string {
	abs, err := filepath.Abs(labPath)
	if err != nil {
		abs = labPath
	}
	key := abs
	if root, err := filepath.Abs(filepath.Dir(filepath.Dir(c.Dir))); err == nil {
		if rel, err := filepath.Rel(root, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			key = filepath.ToSlash(rel)
		}
	}
	base := strings.TrimSuffix(filepath.Base(labPath), ".md")
	return filepath.Join(c.Dir, base+"-"+hashStrings(key)[:12]+".json")
}

func (c *Cache) load(labPath string) *cacheFile {
	data, err := os.ReadFile(c.path(labPath))
	if err != nil {
		return nil
	}
	var f cacheFile
	if json.Unmarshal(data, &f) != nil || f.Version != Version+"/"+cacheFormat {
		return nil // unreadable or old: a miss, never an error
	}
	return &f
}

func (c *Cache) store(labPath string, f *cacheFile) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return err
	}
	return writeFileAtomic(c.path(labPath), data)
}

// staleReasons says, per block, why the cache cannot serve it ("" when it
// can).
func staleReasons(keys []blockKeys, f *cacheFile) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		switch {
		case f == nil:
			out[i] = "never run (no cache entry)"
		case i >= len(f.Blocks):
			out[i] = "new block"
		default:
			old := f.Blocks[i].Keys
			var why []string
			if old.Version != k.Version {
				why = append(why, "wirebook version changed")
			}
			if old.Block != k.Block {
				why = append(why, "this block changed")
			}
			if old.Earlier != k.Earlier {
				why = append(why, "an earlier block changed")
			}
			if old.Servers != k.Servers {
				why = append(why, "the server configuration changed")
			}
			if old.Fixtures != k.Fixtures {
				why = append(why, "the fixtures changed")
			}
			if old.Interp != k.Interp {
				why = append(why, fmt.Sprintf("the interpreter changed (%s, was %s)", orNone(k.Interp), orNone(old.Interp)))
			}
			sort.Strings(why)
			out[i] = strings.Join(why, ", ")
		}
	}
	return out
}

// Explain says for each block of a lab whether the cache holds a fresh
// transcript for it, and if not why.
func (e *Engine) Explain(path string) ([]string, error) {
	l, err := e.Load(path)
	if err != nil {
		return nil, err
	}
	cacheKey := path
	if e.opts.TranscriptDir != "" {
		env, err := e.environmentLab(l)
		if err != nil {
			return nil, err
		}
		l, cacheKey = env.lab, env.file.Path
	}
	keys, err := e.labKeys(l)
	if err != nil {
		return nil, err
	}
	var f *cacheFile
	if e.opts.Cache != nil {
		f = e.opts.Cache.load(cacheKey)
	}
	reasons := staleReasons(keys, f)
	out := make([]string, len(l.Blocks))
	for i, b := range l.Blocks {
		r := reasons[i]
		if r == "" {
			r = "fresh: the cached transcript is used"
		} else {
			r = "stale: " + r
		}
		out[i] = fmt.Sprintf("%s:%d: %s block %d: %s", path, b.Line, b.Proto, i+1, r)
	}
	return out, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func writeFileAtomic(path string, data []byte) error {
	return atomicfile.Write(path, data, 0o644)
}

// MergeCaches writes into dir the lab files of the caches in inputs (the
// shards' .wirebook/cache directories), so that one build can serve the
// whole course from them. A lab found in several (shards that started from
// the same restored cache) keeps the copy whose sessions ran last. Page
// fingerprints (pages/) are not merged: they only describe pages that the
// shard itself wrote. It returns the number of lab files written.
func MergeCaches(dir string, inputs []string) (int, error) {
	type pick struct {
		data []byte
		last time.Time
	}
	best := map[string]pick{}
	for _, in := range inputs {
		entries, err := os.ReadDir(in)
		if err != nil {
			return 0, err
		}
		for _, ent := range entries {
			if ent.IsDir() || !strings.HasSuffix(ent.Name(), ".json") || strings.HasPrefix(ent.Name(), ".") {
				continue
			}
			data, err := os.ReadFile(filepath.Join(in, ent.Name()))
			if err != nil {
				return 0, err
			}
			var f cacheFile
			if json.Unmarshal(data, &f) != nil || f.Version != Version+"/"+cacheFormat {
				continue // another wirebook's or torn: never served anyway
			}
			if f.LastDuration > 0 && f.Duration != f.LastDuration {
				// The next sharded run balances by what the shards measured.
				f.Duration = f.LastDuration
				if data, err = json.MarshalIndent(&f, "", " "); err != nil {
					return 0, err
				}
			}
			var last time.Time
			for _, b := range f.Blocks {
				if b.When.After(last) {
					last = b.When
				}
			}
			old, seen := best[ent.Name()]
			if !seen || last.After(old.last) || (last.Equal(old.last) && string(data) > string(old.data)) {
				best[ent.Name()] = pick{data, last}
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	names := make([]string, 0, len(best))
	for name := range best {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := writeFileAtomic(filepath.Join(dir, name), best[name].data); err != nil {
			return 0, err
		}
	}
	return len(names), nil
}

// limitsKey is the limits in force, nil when none is set, so that labs
// without limits keep their cache keys.
func limitsKey(front, flags map[string]string) []map[string]string {
	if len(front) == 0 && len(flags) == 0 {
		return nil
	}
	return []map[string]string{front, flags}
}
