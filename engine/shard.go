package engine

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Shard is part K of N of a course (1 <= K <= N), as --shard K/N.
type Shard struct{ K, N int }

// ParseShard reads "K/N".
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(s, "/")
	ki, err1 := strconv.Atoi(strings.TrimSpace(k))
	ni, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil || ni < 1 || ki < 1 || ki > ni {
		return Shard{}, fmt.Errorf("--shard %q: want K/N with 1 <= K <= N, e.g. 2/3", s)
	}
	return Shard{K: ki, N: ni}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.K, s.N) }

// Partition splits labs into n shards, a lab never split. Every shard that
// calls it with the same labs and the same weights gets the same answer, so
// the shards of one CI matrix agree without talking to each other: their
// union is labs and no lab is in two of them.
//
// weight gives a lab's recorded duration (ok false when none is known).
// With no durations the labs are dealt round robin in path order; with
// some, the longest lab goes first to the least loaded shard (LPT), labs
// without a duration counting as the mean of those with one.
func Partition(labs []string, n int, weight func(string) (time.Duration, bool)) [][]string {
	sorted := append([]string(nil), labs...)
	sort.Strings(sorted)
	shards := make([][]string, n)
	w := make(map[string]time.Duration, len(sorted))
	var known, total time.Duration
	for _, l := range sorted {
		if d, ok := weight(l); ok && d > 0 {
			w[l] = d
			known++
			total += d
		}
	}
	if known == 0 {
		for i, l := range sorted {
			shards[i%n] = append(shards[i%n], l)
		}
		return shards
	}
	mean := total / known
	for _, l := range sorted {
		if _, ok := w[l]; !ok {
			w[l] = mean
		}
	}
	sort.SliceStable(sorted, func(i, j int) bool { return w[sorted[i]] > w[sorted[j]] })
	load := make([]time.Duration, n)
	for _, l := range sorted {
		best := 0
		for k := 1; k < n; k++ {
			if load[k] < load[best] {
				best = k
			}
		}
		load[best] += w[l]
		shards[best] = append(shards[best], l)
	}
	for _, s := range shards {
		sort.Strings(s)
	}
	return shards
}

// ShardLabs returns the labs of shard s, balanced by the durations recorded
// in cache (see Partition); cache may differ from the engine's own, so that
// a run that does not use the cache still shards like one that does. plan
// fingerprints what the cut was made from (the labs and their durations):
// shards with different plans (CI jobs that restored different caches) may
// have left labs out or run some twice, and report merge refuses them.
func (e *Engine) ShardLabs(labs []string, s Shard, cache *Cache) (shard []string, plan string) {
	sorted := append([]string(nil), labs...)
	sort.Strings(sorted)
	var parts []string
	weights := map[string]time.Duration{}
	for _, l := range sorted {
		d, _ := e.recordedDuration(cache, l)
		weights[l] = d
		parts = append(parts, l, strconv.FormatInt(int64(d), 10))
	}
	weight := func(l string) (time.Duration, bool) { return weights[l], weights[l] > 0 }
	return Partition(labs, s.N, weight)[s.K-1], hashStrings(parts...)[:12]
}

// recordedDuration is how long the lab took the last time its sessions ran
// against servers, from the cache.
func (e *Engine) recordedDuration(cache *Cache, path string) (time.Duration, bool) {
	if cache == nil {
		return 0, false
	}
	p := path
	if e.opts.TranscriptDir != "" {
		// The cache file follows the environment's transcript.
		p = e.envTranscriptPath(path)
	}
	f := cache.load(p)
	if f == nil || f.Duration <= 0 {
		return 0, false
	}
	return f.Duration, true
}

// ChangedLabs returns the labs of files affected by a change to the files
// in changed (absolute paths): the lab itself, its fixture files, anything
// under its web root, or its environment transcript. A change to the
// course configuration (configPath) affects every lab, and so does a lab
// that no longer loads: it is kept, so that its error is reported.
func (e *Engine) ChangedLabs(files []string, changed map[string]bool, configPath string) []string {
	real := map[string]bool{}
	for p := range changed {
		real[realPath(p)] = true
	}
	if configPath != "" && real[realPath(configPath)] {
		return files
	}
	var out []string
	for _, f := range files {
		files, dirs := e.labInputs(f)
		hit := false
		for _, p := range files {
			hit = hit || real[realPath(p)]
		}
		for _, d := range dirs {
			d = realPath(d) + string(filepath.Separator)
			for p := range real {
				hit = hit || strings.HasPrefix(p, d)
			}
		}
		if hit {
			out = append(out, f)
		}
	}
	return out
}

// labInputs lists what a lab's pages and transcripts are made from: files,
// and directories whose every file counts.
func (e *Engine) labInputs(path string) (files, dirs []string) {
	files = []string{path}
	if e.opts.TranscriptDir != "" {
		files = append(files, e.envTranscriptPath(path))
	}
	l, err := e.Load(path)
	if err != nil || l == nil {
		return files, nil
	}
	files = append(files, labFiles(l)...)
	if root := l.Front.WebRoot; root != "" {
		// A file added to or deleted from the web root counts too.
		dirs = append(dirs, filepath.Join(filepath.Dir(path), filepath.FromSlash(root)))
	}
	return files, dirs
}

// realPath is p absolute with symbolic links resolved as far as they exist
// (a deleted file still compares by its directory's real path).
func realPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	if r, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(r, filepath.Base(abs))
	}
	return abs
}

// envTranscriptPath is where the environment keeps a lab's transcript.
func (e *Engine) envTranscriptPath(labPath string) string {
	return filepath.Join(e.opts.TranscriptDir, strings.TrimSuffix(filepath.Base(labPath), ".md")+envFileExt)
}
