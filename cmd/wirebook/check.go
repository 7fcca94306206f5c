package main

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/engine/highlight"
	"github.com/wirebook/wirebook/engine/render"
)

func cmdCheck(env *cliEnv, args []string) int {
	fs := newFlagSet(env, "check", "[flags] [PATH...]", "Runs every session block and compares what the server said with the S: lines written in the lab.\nExit status: 0 all passed, 1 a mismatch or failure, 2 a usage or lab-format error (or, with --strict, a warning).")
	var common commonFlags
	common.register(fs.FlagSet)
	junit := fs.String("junit", "", "also write a JUnit XML report to `FILE`")
	asJSON := fs.Bool("json", false, "print a JSON report instead of text")
	explain := fs.Bool("explain", false, "say for each block whether the transcript cache is fresh, and if not why; runs nothing")
	doUpdate := fs.Bool("update", false, "write the fresh transcripts into the labs (as 'wirebook update')")
	force := fs.Bool("force", false, "with --update: write even when CI is set")
	noExec := fs.Bool("no-exec", false, "run the session blocks but not the code of pycon, console and python run blocks: those are reported as not run, never as passed")
	maxFailures := fs.Int("max-failures", 0, "stop starting labs once `N` labs have failed; the rest are reported as not run (0: run them all)")
	var sel selection
	sel.register(fs.FlagSet)
	strict := fs.Bool("strict", false, "fail (exit 2) when a lab has warnings, as for a lab-format error")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	// check always asks the servers; it refreshes the cache as it goes.
	eng, _, files, ok := common.open(env, "check", fs.Args(), engine.Options{Cache: &engine.Cache{Dir: cacheDir}, Refresh: true, MaxFailures: *maxFailures, NoExec: *noExec}, &sel)
	if !ok {
		return exitUsage
	}
	if *explain {
		status := exitOK
		for _, f := range files {
			lines, err := eng.Explain(f)
			if err != nil {
				fmt.Fprintln(env.stderr, err)
				status = exitUsage
				continue
			}
			for _, l := range lines {
				fmt.Fprintln(env.stdout, l)
			}
		}
		return status
	}
	if *doUpdate {
		return updateLabs(env, eng, files, updateOptions{force: *force})
	}
	progress := newProgress(env)
	eng.SetProgress(progress.report)
	results := eng.RunLabs(context.Background(), files)
	progress.done()
	status := exitOK
	var tally engine.Tally
	for _, r := range results {
		tally.AddLab(r)
		if printWarnings(env.stderr, r) > 0 && *strict {
			status = max(status, exitUsage)
		}
		if r.NotRun != "" {
			continue
		}
		if r.Err != nil {
			fmt.Fprintln(env.stderr, r.Err)
			status = max(status, exitCodeFor(r.Err))
			continue
		}
		for _, s := range r.Sessions {
			if sessionPassed(s) {
				continue
			}
			status = max(status, exitFailed)
			if !*asJSON {
				printFailure(env.stdout, r, s)
			}
		}
	}
	if *junit != "" {
		if err := writeJUnit(*junit, results, &sel); err != nil {
			fmt.Fprintln(env.stderr, "wirebook check:", err)
			status = max(status, exitFailed)
		}
	}
	if *asJSON {
		writeJSON(env.stdout, results, &sel)
	}
	if tally.NotRun > 0 {
		status = max(status, exitFailed) // an unchecked lab is never a pass
	}
	summary := env.stdout
	if *asJSON {
		summary = env.stderr // stdout holds the JSON document alone, for jq and the like
	}
	fmt.Fprintln(summary, tally.CheckLine())
	return status
}

// sessionPassed: a captured block was not compared, so it never passes.
func sessionPassed(s *engine.SessionResult) bool { return engine.Passed(s.Status) }

func printFailure(w io.Writer, r *engine.LabResult, s *engine.SessionResult) {
	path, line := r.Path, s.Block.Line
	switch s.Status {
	case engine.StatusMismatch:
		line = s.Comparison.FirstDifferenceLine()
		fmt.Fprintf(w, "%s:%d: %s block %d differs from %s\n", path, line, s.Block.Proto, s.Block.Index+1, serverName(s))
		for _, d := range s.Comparison.Differences() {
			fmt.Fprintf(w, "  %s\n", highlight.Neutralise(d))
		}
		fmt.Fprint(w, indent(s.Comparison.UnifiedDiff(r.Expected(s))))
	case engine.StatusCaptured:
		why := fmt.Sprintf("it has no S: lines to check; run 'wirebook update %s' to write them", path)
		if s.Note != "" {
			why = s.Note
		}
		fmt.Fprintf(w, "%s:%d: %s block %d captured, not verified: %s\n", path, line, s.Block.Proto, s.Block.Index+1, why)
		return
	case engine.StatusOffline:
		fmt.Fprintf(w, "%s:%d: %s block %d not run (--no-exec): its written output was not checked\n", path, line, s.Block.Proto, s.Block.Index+1)
		return
	default:
		fmt.Fprintf(w, "%s:%d: %s block %d failed against %s: %s\n", path, s.FailureLine(), s.Block.Proto, s.Block.Index+1, serverName(s), highlight.Neutralise(s.Reason))
	}
	if s.Note != "" {
		fmt.Fprintf(w, "  note: %s\n", s.Note)
	}
}

// neutraliseLines makes each line safe for a terminal, keeping the line ends.
func neutraliseLines(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString(highlight.Neutralise(strings.TrimSuffix(l, "\n")) + "\n")
		}
	}
	return b.String()
}

// serverName names the server a session ran against, for reports.
func serverName(s *engine.SessionResult) string {
	name := "server " + highlight.Neutralise(s.Server)
	if s.Server == "" {
		name = "the block's server" // it failed before its server was resolved
	}
	if s.Embedded {
		name = "the embedded lab server"
	}
	if s.Software != "" {
		name += " (" + highlight.Neutralise(s.Software) + ")"
	}
	return name
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString("    " + highlight.Neutralise(strings.TrimSuffix(l, "\n")) + "\n")
		}
	}
	return b.String()
}

type jsonSession struct {
	Lab     string   `json:"lab"`
	Line    int      `json:"line"`
	Proto   string   `json:"protocol"`
	Status  string   `json:"status"`
	Passed  bool     `json:"passed"`
	Reason  string   `json:"reason,omitempty"`
	Outcome string   `json:"outcome,omitempty"` // how an expected failure happened
	Note    string   `json:"note,omitempty"`    // why an environment transcript entry was not used
	Differs []string `json:"differences,omitempty"`
}

func writeJSON(w io.Writer, results []*engine.LabResult, sel *selection) {
	out := struct {
		Shard    string        `json:"shard,omitempty"`
		Plan     string        `json:"shard_plan,omitempty"`
		Sessions []jsonSession `json:"sessions"`
		Errors   []string      `json:"errors"`
		Counts   engine.Tally  `json:"counts"` // the counts of check's last line and of the pages
		NotRun   []string      `json:"not_run,omitempty"`
		Warnings []string      `json:"warnings"`
	}{Sessions: []jsonSession{}, Errors: []string{}, Warnings: []string{}}
	if sel.shard != nil {
		out.Shard, out.Plan = sel.shard.String(), sel.plan
	}
	for _, r := range results {
		out.Counts.AddLab(r)
		for _, w := range r.Warnings {
			out.Warnings = append(out.Warnings, w.Error())
		}
		if r.NotRun != "" {
			out.NotRun = append(out.NotRun, r.Path)
			continue
		}
		if r.Err != nil {
			out.Errors = append(out.Errors, r.Err.Error())
			continue
		}
		for _, s := range r.Sessions {
			js := jsonSession{Lab: r.Path, Line: s.Block.Line, Proto: s.Block.Proto, Status: s.Status, Passed: sessionPassed(s), Reason: s.Reason, Outcome: s.Outcome, Note: s.Note}
			if s.Status == engine.StatusMismatch {
				js.Differs = s.Comparison.Differences()
			}
			out.Sessions = append(out.Sessions, js)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}

type junitSuite struct {
	XMLName  xml.Name `xml:"testsuite"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Skipped  int      `xml:"skipped,attr,omitempty"`
	// Properties name the shard and its plan (see report merge).
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"` // an expected failure's outcome
	Skipped   *junitFailure `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(path string, results []*engine.LabResult, sel *selection) error {
	suite := junitSuite{Name: "wirebook check"}
	if sel.shard != nil {
		suite.Name += " (shard " + sel.shard.String() + ")"
		suite.Properties = []junitProperty{{"wirebook.shard", sel.shard.String()}, {"wirebook.shard_plan", sel.plan}}
	}
	for _, r := range results {
		if r.NotRun != "" {
			suite.Cases = append(suite.Cases, junitCase{Name: r.Path, ClassName: r.Path, Skipped: &junitFailure{Message: r.NotRun}})
			continue
		}
		if r.Err != nil {
			suite.Cases = append(suite.Cases, junitCase{Name: r.Path, ClassName: r.Path, Failure: &junitFailure{Message: "lab error", Text: r.Err.Error()}})
			continue
		}
		for _, s := range r.Sessions {
			c := junitCase{Name: fmt.Sprintf("%s:%d %s", r.Path, s.Block.Line, s.Block.Proto), ClassName: r.Path}
			if s.Status == engine.StatusExpected {
				c.SystemOut = "expected failure met: " + s.Outcome
			}
			if !sessionPassed(s) {
				var b strings.Builder
				printFailure(&b, r, s)
				c.Failure = &junitFailure{Message: s.Status, Text: b.String()}
			}
			suite.Cases = append(suite.Cases, c)
		}
	}
	return writeJUnitSuite(path, suite)
}

func writeJUnitSuite(path string, suite junitSuite) error {
	suite.Tests, suite.Failures, suite.Skipped = 0, 0, 0
	for _, c := range suite.Cases {
		suite.Tests++
		if c.Failure != nil {
			suite.Failures++
		}
		if c.Skipped != nil {
			suite.Skipped++
		}
	}
	data, err := xml.MarshalIndent(suite, "", "  ")
	if err != nil {
		return err
	}
	return render.WriteFileAtomic(path, append([]byte(xml.Header), append(data, '\n')...))
}

type updateOptions struct {
	dryRun, interactive, force bool
}

func cmdUpdate(env *cliEnv, args []string) int {
	fs := newFlagSet(env, "update", "[flags] [PATH...]", "Runs every session block and writes the fresh S: and N: lines into the labs. Only the server side of session blocks changes.")
	var common commonFlags
	common.register(fs.FlagSet)
	var opts updateOptions
	fs.BoolVar(&opts.dryRun, "dry-run", false, "print the changes as a diff; write nothing")
	fs.BoolVarP(&opts.interactive, "interactive", "i", false, "review each changed block: accept (y), reject (n) or quit (q)")
	fs.BoolVar(&opts.force, "force", false, "write even when the CI environment variable is set")
	noExec := fs.Bool("no-exec", false, "run the session blocks but not the code of pycon, console and python run blocks: those are left exactly as written")
	var sel selection
	sel.register(fs.FlagSet)
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	eng, _, files, ok := common.open(env, "update", fs.Args(), engine.Options{NoExec: *noExec}, &sel)
	if !ok {
		return exitUsage
	}
	return updateLabs(env, eng, files, opts)
}

func updateLabs(env *cliEnv, eng *engine.Engine, files []string, opts updateOptions) int {
	if _, ci := env.lookupEnv("CI"); ci && !opts.force && !opts.dryRun {
		fmt.Fprintln(env.stderr, "wirebook update: CI is set, so labs are not written; use --dry-run to see the changes or --force to write")
		return exitUsage
	}
	results := eng.RunLabs(context.Background(), files)
	status := exitOK
	in := bufio.NewReader(env.stdin)
	for _, r := range results {
		removeStaleTemps(env, r, opts.dryRun)
		printWarnings(env.stderr, r)
		if r.Err != nil {
			fmt.Fprintln(env.stderr, r.Err)
			status = max(status, exitCodeFor(r.Err))
			continue
		}
		changes, skipped := engine.PlanUpdate(r)
		for _, s := range skipped {
			fmt.Fprintf(env.stderr, "%s:%d: not updated: the session failed: %s\n", r.Path, s.Block.Line, highlight.Neutralise(s.Reason))
			status = max(status, exitFailed)
		}
		var accepted []engine.BlockUpdate
		quit := false
		for _, c := range changes {
			if opts.dryRun || opts.interactive {
				fmt.Fprint(env.stdout, neutraliseLines(c.Comparison.UnifiedDiff(r.Expected(c.Session))))
			}
			if opts.interactive {
				switch ask(env.stdout, in, fmt.Sprintf("%s:%d: accept this change? [y]es, [n]o, [q]uit: ", r.Path, c.Session.Block.Line)) {
				case 'y':
					accepted = append(accepted, c)
				case 'q':
					quit = true
				}
				if quit {
					break
				}
				continue
			}
			accepted = append(accepted, c)
		}
		if len(accepted) > 0 && !opts.dryRun {
			if err := engine.WriteUpdate(r, accepted); err != nil {
				fmt.Fprintln(env.stderr, "wirebook update:", err)
				status = max(status, exitFailed)
			} else {
				fmt.Fprintf(env.stdout, "%s: updated %d block(s)\n", r.Expected(nil), len(accepted))
			}
		}
		if quit {
			break
		}
	}
	return status
}

// removeStaleTemps removes what earlier, killed updates left beside the
// file this one writes; --dry-run removes nothing.
func removeStaleTemps(env *cliEnv, r *engine.LabResult, dryRun bool) {
	path := r.Expected(nil) // the lab, or its environment transcript file
	if dryRun {
		return
	}
	removed, err := engine.RemoveStaleTemps(path)
	if err != nil {
		fmt.Fprintf(env.stderr, "wirebook update: %v\n", err)
	}
	for _, p := range removed {
		fmt.Fprintf(env.stderr, "%s: removed %s, left by an earlier update that was stopped\n", path, p)
	}
}

func ask(w io.Writer, in *bufio.Reader, prompt string) byte {
	for {
		fmt.Fprint(w, prompt)
		line, err := in.ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "" {
			switch a[0] {
			case 'y', 'n', 'q':
				return a[0]
			}
		}
		if err != nil {
			return 'q'
		}
	}
}

var cacheDir = ".wirebook/cache"

// progress prints "lab block 2/5 (1.2s)" on one terminal line while labs
// run; it says nothing when stderr is not a terminal.
type progress struct {
	w  io.Writer
	on bool
}

func newProgress(env *cliEnv) *progress {
	f, ok := env.stderr.(*os.File)
	on := false
	if ok {
		st, err := f.Stat()
		on = err == nil && st.Mode()&os.ModeCharDevice != 0
	}
	return &progress{w: env.stderr, on: on}
}

func (p *progress) report(ev engine.ProgressEvent) {
	if !p.on {
		return
	}
	state := "running"
	if ev.Done {
		state = fmt.Sprintf("done in %.1fs", ev.Elapsed.Seconds())
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s: block %d/%d %s", ev.Lab, ev.Block, ev.Blocks, state)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
