package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/wirebook/wirebook/engine"
)

// selection narrows the labs a command runs: one shard of a CI matrix,
// the labs a change touches, or both.
type selection struct {
	shardText string
	changed   string
	shard     *engine.Shard // parsed --shard, nil without one
	plan      string        // what the shards were cut from (engine.ShardLabs)
}

// sharded reports whether --shard was given; call before the engine is made.
func (s *selection) sharded() bool { return s != nil && s.shardText != "" }

func (s *selection) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.shardText, "shard", "", "run only part `K/N` of the labs (e.g. 2/3), for a CI matrix of N jobs: the N parts are disjoint, cover every lab and are balanced by the durations in the transcript cache")
	fs.StringVar(&s.changed, "changed", "", "run only the labs whose file, fixtures, web root, environment transcript or course configuration changed since git revision `REV`")
}

// apply returns the labs of files that the selection keeps.
func (s *selection) apply(eng *engine.Engine, files []string, configPath string) ([]string, error) {
	if s.changed != "" {
		changed, err := gitChanged(s.changed)
		if err != nil {
			return nil, err
		}
		files = eng.ChangedLabs(files, changed, configPath)
	}
	if s.shardText != "" {
		sh, err := engine.ParseShard(s.shardText)
		if err != nil {
			return nil, err
		}
		s.shard = &sh
		// Durations come from the cache even when this command does not use
		// it, so that build, check and update split a course alike.
		files, s.plan = eng.ShardLabs(files, sh, &engine.Cache{Dir: cacheDir})
	}
	return files, nil
}

// gitChanged lists (as absolute paths) the files that differ between rev
// and the working tree, untracked files included.
func gitChanged(rev string) (map[string]bool, error) {
	top, err := gitOutput("rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("--changed needs a git repository: %v", err)
	}
	if _, err := gitOutput("rev-parse", "--verify", "--quiet", rev+"^{commit}"); err != nil {
		return nil, fmt.Errorf("--changed %s: not a revision of this repository", rev)
	}
	diff, err := gitOutput("diff", "--name-only", "--no-renames", "-z", rev, "--")
	if err != nil {
		return nil, fmt.Errorf("--changed %s: %v", rev, err)
	}
	untracked, err := gitOutput("ls-files", "--others", "--exclude-standard", "-z", "--full-name", ":/")
	if err != nil {
		return nil, fmt.Errorf("--changed %s: %v", rev, err)
	}
	out := map[string]bool{}
	for _, name := range strings.Split(diff+"\x00"+untracked, "\x00") {
		if name = strings.TrimSpace(name); name != "" {
			out[filepath.Join(strings.TrimSpace(top), filepath.FromSlash(name))] = true
		}
	}
	return out, nil
}

func gitOutput(args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			return "", fmt.Errorf("git %s: %s", args[0], strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("git %s: %v", args[0], err)
	}
	return string(out), nil
}
