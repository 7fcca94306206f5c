package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/engine/render"
)

func cmdReport(env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] != "merge" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(env.stdout, "Usage: wirebook report merge [flags] INPUT...")
			return exitOK
		}
		fmt.Fprintln(env.stderr, "wirebook report: want 'wirebook report merge [flags] INPUT...'")
		return exitUsage
	}
	fs := newFlagSet(env, "report merge", "[flags] INPUT...", "Merges the reports and caches of a course run as shards (check --shard K/N) into one.\n"+
		"INPUT is a JSON report (check --json, *.json), a JUnit report (check --junit, *.xml) or a\n"+
		"transcript cache directory (.wirebook/cache). Prints the merged 'N passed, N failed' line.\n"+
		"Exit status: 0 all passed, 1 something failed or was not run, 2 bad input or a shard missing or twice.")
	jsonOut := fs.String("json", "", "write the merged JSON report to `FILE`")
	junitOut := fs.String("junit", "", "write the merged JUnit report to `FILE`")
	cacheOut := fs.String("cache", "", "merge the cache directories given into `DIR` (e.g. .wirebook/cache), for a build --from-cache")
	if st := parseFlags(fs, args[1:]); st >= 0 {
		return st
	}
	var jsons, junits, caches []string
	for _, in := range fs.Args() {
		st, err := os.Stat(in)
		switch {
		case err != nil:
			fmt.Fprintln(env.stderr, "wirebook report merge:", err)
			return exitUsage
		case st.IsDir():
			caches = append(caches, in)
		case strings.HasSuffix(in, ".json"):
			jsons = append(jsons, in)
		case strings.HasSuffix(in, ".xml"):
			junits = append(junits, in)
		default:
			fmt.Fprintf(env.stderr, "wirebook report merge: %s: want a .json or .xml report or a cache directory\n", in)
			return exitUsage
		}
	}
	if len(jsons)+len(junits)+len(caches) == 0 {
		fmt.Fprintln(env.stderr, "wirebook report merge: no INPUT given")
		return exitUsage
	}
	if len(caches) > 0 && *cacheOut == "" {
		fmt.Fprintln(env.stderr, "wirebook report merge: cache directories given but no --cache DIR to merge them into")
		return exitUsage
	}
	status := exitOK
	line := ""
	if len(junits) > 0 {
		suite, p, f, n, err := mergeJUnit(junits)
		if err == nil && *junitOut != "" {
			err = writeJUnitSuite(*junitOut, suite)
		}
		if err != nil {
			fmt.Fprintln(env.stderr, "wirebook report merge:", err)
			return exitUsage
		}
		line = fmt.Sprintf("%d passed, %d failed", p, f+n)
		if f+n > 0 {
			status = exitFailed
		}
	}
	if len(jsons) > 0 {
		report, tally, err := mergeJSON(jsons)
		if err == nil && *jsonOut != "" {
			err = render.WriteFileAtomic(*jsonOut, report)
		}
		if err != nil {
			fmt.Fprintln(env.stderr, "wirebook report merge:", err)
			return exitUsage
		}
		l := tally.CheckLine()
		if counts, _, _ := strings.Cut(l, ":"); line != "" && counts != line {
			fmt.Fprintf(env.stderr, "wirebook report merge: the JSON reports say %q, the JUnit reports %q: are they from the same runs?\n", l, line)
			return exitUsage
		}
		line = l
		if tally.NotPassed() > 0 {
			status = exitFailed
		}
	}
	if len(caches) > 0 {
		n, err := engine.MergeCaches(*cacheOut, caches)
		if err != nil {
			fmt.Fprintln(env.stderr, "wirebook report merge:", err)
			return exitUsage
		}
		fmt.Fprintf(env.stderr, "merged %d lab(s) from %d cache(s) into %s\n", n, len(caches), *cacheOut)
	}
	if line != "" {
		fmt.Fprintln(env.stdout, line)
	}
	return status
}

// shardSet checks that the reports' shards are exactly 1..N of one N, each
// once; reports without a shard (an unsharded run) may not be mixed in.
type shardSet struct {
	n          int
	seen       map[int]string
	plan, from string
}

func (s *shardSet) add(file, shard, plan string) error {
	if shard != "" && s.plan != "" && plan != s.plan {
		return fmt.Errorf("%s and %s were cut from different lab lists or durations (did the CI jobs restore different caches?): labs may be missing or run twice", s.from, file)
	}
	if shard != "" && s.plan == "" {
		s.plan, s.from = plan, file
	}
	if shard == "" {
		if len(s.seen) > 0 || s.n != 0 {
			return fmt.Errorf("%s is not a shard's report (no --shard), but others are", file)
		}
		s.n = -1
		return nil
	}
	sh, err := engine.ParseShard(shard)
	if err != nil || s.n == -1 {
		return fmt.Errorf("%s: shard %q does not go with the other reports", file, shard)
	}
	if s.n != 0 && s.n != sh.N {
		return fmt.Errorf("%s is shard %s, but another report is of %d shards", file, shard, s.n)
	}
	s.n = sh.N
	if s.seen == nil {
		s.seen = map[int]string{}
	}
	if other, dup := s.seen[sh.K]; dup {
		return fmt.Errorf("%s and %s are both shard %s", other, file, shard)
	}
	s.seen[sh.K] = file
	return nil
}

func (s *shardSet) complete() error {
	if s.n <= 0 {
		return nil
	}
	var missing []string
	for k := 1; k <= s.n; k++ {
		if _, ok := s.seen[k]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", k, s.n))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("shard %s missing: the merged report would leave labs out", strings.Join(missing, ", "))
	}
	return nil
}

// labOwner catches a lab reported by two inputs.
type labOwner map[string]string

func (o labOwner) claim(lab, file string) error {
	if other, ok := o[lab]; ok && other != file {
		return fmt.Errorf("lab %s is in both %s and %s: were the shards cut from different lab lists?", lab, other, file)
	}
	o[lab] = file
	return nil
}

// mergeJSON concatenates the sessions of check --json reports, lab by lab
// in path order (a lab's sessions stay in document order; every field of a
// session is kept as written), and adds up their counts.
func mergeJSON(files []string) (out []byte, counts engine.Tally, err error) {
	type session struct {
		raw json.RawMessage
		lab string
	}
	var sessions []session
	errs, skipped := []string{}, []string{}
	shards, owners := &shardSet{}, labOwner{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, counts, err
		}
		var r struct {
			Shard    string            `json:"shard"`
			Plan     string            `json:"shard_plan"`
			Sessions []json.RawMessage `json:"sessions"`
			Errors   []string          `json:"errors"`
			Counts   *engine.Tally     `json:"counts"`
			NotRun   []string          `json:"not_run"`
		}
		// check --json prints its summary line after the report: decode
		// the first value only.
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&r); err != nil || r.Sessions == nil || r.Counts == nil {
			return nil, counts, fmt.Errorf("%s: not a wirebook check --json report", file)
		}
		if err := shards.add(file, r.Shard, r.Plan); err != nil {
			return nil, counts, err
		}
		for _, raw := range r.Sessions {
			var s struct {
				Lab string `json:"lab"`
			}
			if json.Unmarshal(raw, &s) != nil || s.Lab == "" {
				return nil, counts, fmt.Errorf("%s: a session without a lab", file)
			}
			if err := owners.claim(s.Lab, file); err != nil {
				return nil, counts, err
			}
			sessions = append(sessions, session{raw, s.Lab})
		}
		for _, l := range r.NotRun {
			if err := owners.claim(l, file); err != nil {
				return nil, counts, err
			}
		}
		errs = append(errs, r.Errors...)
		skipped = append(skipped, r.NotRun...)
		counts.Merge(*r.Counts)
	}
	if err := shards.complete(); err != nil {
		return nil, counts, err
	}
	sort.SliceStable(sessions, func(i, j int) bool { return sessions[i].lab < sessions[j].lab })
	sort.Strings(errs)
	sort.Strings(skipped)
	merged := struct {
		Sessions []json.RawMessage `json:"sessions"`
		Errors   []string          `json:"errors"`
		Counts   engine.Tally      `json:"counts"`
		NotRun   []string          `json:"not_run,omitempty"`
	}{Sessions: []json.RawMessage{}, Errors: errs, Counts: counts, NotRun: skipped}
	for _, s := range sessions {
		merged.Sessions = append(merged.Sessions, s.raw)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(merged); err != nil {
		return nil, counts, err
	}
	return buf.Bytes(), counts, nil
}

// mergeJUnit concatenates the test cases of check --junit reports, lab by
// lab in path order.
func mergeJUnit(files []string) (suite junitSuite, passed, failed, notRun int, err error) {
	suite.Name = "wirebook check"
	shards, owners := &shardSet{}, labOwner{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return suite, 0, 0, 0, err
		}
		var s junitSuite
		if err := xml.Unmarshal(data, &s); err != nil || !strings.HasPrefix(s.Name, "wirebook check") {
			return suite, 0, 0, 0, fmt.Errorf("%s: not a wirebook check --junit report", filepath.Base(file))
		}
		shard, plan := "", ""
		for _, p := range s.Properties {
			switch p.Name {
			case "wirebook.shard":
				shard = p.Value
			case "wirebook.shard_plan":
				plan = p.Value
			}
		}
		if err := shards.add(file, shard, plan); err != nil {
			return suite, 0, 0, 0, err
		}
		for _, c := range s.Cases {
			if err := owners.claim(c.ClassName, file); err != nil {
				return suite, 0, 0, 0, err
			}
		}
		suite.Cases = append(suite.Cases, s.Cases...)
	}
	if err := shards.complete(); err != nil {
		return suite, 0, 0, 0, err
	}
	sort.SliceStable(suite.Cases, func(i, j int) bool { return suite.Cases[i].ClassName < suite.Cases[j].ClassName })
	for _, c := range suite.Cases {
		switch {
		case c.Skipped != nil:
			notRun++
		case c.Failure != nil:
			failed++
		default:
			passed++
		}
	}
	return suite, passed, failed, notRun, nil
}
