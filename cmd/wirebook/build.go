package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/engine/highlight"
	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/engine/render"
	"github.com/wirebook/wirebook/engine/vars"
	"github.com/wirebook/wirebook/protocols"
)

// commonFlags are the flags every lab-running command takes.
type commonFlags struct {
	servers    []string
	local      string // --servers local
	env        string
	config     string
	jobs       int
	labTimeout time.Duration
	limits     []string
	used       string // the course configuration file in force, "" for none
}

func (c *commonFlags) register(fs *pflag.FlagSet) {
	c.registerLab(fs)
	fs.IntVarP(&c.jobs, "jobs", "j", 0, "labs to run at once (default: one per CPU for labs on the embedded servers; for other servers up to the environment's concurrency, else 32)")
}

// registerLab registers the flags of running a lab (servers, deadline),
// not -j: run runs one lab, so labs at once does not apply to it.
func (c *commonFlags) registerLab(fs *pflag.FlagSet) {
	fs.StringArrayVar(&c.servers, "server", nil, "use `NAME=URL` for the lab server NAME (e.g. mail=smtp://127.0.0.1:2525, or mail=embedded); repeatable")
	fs.StringVar(&c.local, "servers", "", "with `local`, run every block against the wirebook servers running here (its ports, accounts and CA)")
	fs.StringVar(&c.env, "env", "", "use the servers of environment `NAME` in wirebook.yaml (default: $WIREBOOK_ENV, the file's default, or embedded)")
	fs.StringVar(&c.config, "config", "", "course configuration `FILE` (default: wirebook.yaml here or beside the labs)")
	fs.DurationVar(&c.labTimeout, "lab-timeout", 0, "fail a lab whose sessions take longer than `DURATION` together (e.g. 2m); 0: no limit")
	fs.StringArrayVar(&c.limits, "limit", nil, "set resource limit `NAME=VALUE` for every lab, over its front matter (e.g. block_deadline=2m, session_lines=50000); repeatable")
}

// flagSet is a command's flags with its usage line, which a usage error
// repeats on stderr.
type flagSet struct {
	*pflag.FlagSet
	usage string // "wirebook build [--out DIR] [PATH...]"
}

func newFlagSet(env *cliEnv, name, args, summary string) *flagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(env.stderr)
	usage := "wirebook " + name + " " + args
	fs.Usage = func() {
		fmt.Fprintf(env.stdout, "Usage: %s\n\n%s\n", usage, summary)
		if flags := fs.FlagUsages(); flags != "" {
			fmt.Fprintf(env.stdout, "\nFlags:\n%s", flags)
		}
	}
	return &flagSet{FlagSet: fs, usage: usage}
}

// parseFlags parses args; it returns a non-negative exit status when the
// command should stop (help asked, or a usage error). pflag prints nothing
// itself when it may continue on an error, so a usage error is printed
// here: the error, the command's usage line and where to read more.
func parseFlags(fs *flagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return usageError(fs, "%v", err)
	}
	return -1
}

// usageError prints a usage problem with the command's usage line and
// returns exitUsage.
func usageError(fs *flagSet, format string, args ...any) int {
	fmt.Fprintf(fs.Output(), "wirebook %s: %s\nUsage: %s\nRun 'wirebook %s --help' for its flags.\n", fs.Name(), fmt.Sprintf(format, args...), fs.usage, fs.Name())
	return exitUsage
}

// engine builds an Engine from the flags, the course file and the
// environment; extra carries the command's own options (cache, offline...).
func (c *commonFlags) engine(env *cliEnv, provider engine.EmbeddedProvider, extra engine.Options, paths ...string) (*engine.Engine, error) {
	var cfg *engine.CourseConfig
	path := c.config
	if path == "" {
		path = engine.FindCourseConfig(paths)
	}
	if path != "" {
		var err error
		if cfg, err = engine.LoadCourseConfig(path); err != nil {
			return nil, err
		}
	}
	c.used = path
	envFlag, specs, local, err := c.localServers(env, path)
	if err != nil {
		return nil, err
	}
	servers, envName, err := engine.ResolveServers(cfg, envFlag, specs, env.lookupEnv)
	if err != nil {
		return nil, err
	}
	opts := extra
	opts.Registry, opts.Embedded, opts.Jobs, opts.Servers, opts.LookupEnv = registry(), provider, c.jobs, servers, env.lookupEnv
	opts.Now = env.clock()
	if opts.SourceDate, err = sourceDate(env); err != nil {
		return nil, err
	}
	if env.environ != nil {
		opts.Secrets = vars.SecretsInEnviron(env.environ())
	}
	if local != nil {
		opts.Local = local
	}
	opts.LabTimeout = c.labTimeout
	opts.Environment, opts.CourseServers = envName, cfg.ServerNames()
	if len(c.limits) > 0 {
		opts.Limits = map[string]string{}
		for _, kv := range c.limits {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("--limit %q: want NAME=VALUE", kv)
			}
			opts.Limits[strings.TrimSpace(k)] = v
		}
		if err := engine.CheckLimits(opts.Limits); err != nil {
			return nil, fmt.Errorf("--limit: %v", err)
		}
	}
	if e, ok := cfg.Env(envName); ok {
		opts.TranscriptDir, opts.Settle = e.Transcripts, time.Duration(e.Settle)
		opts.Masks, opts.RemoteJobs = e.Masks, e.Concurrency
		if len(e.Pool) > 0 {
			opts.Slots = engine.NewSlotPool(e.Pool)
		}
		if e.Reset != "" {
			if len(e.Pool) == 0 {
				opts.Jobs = 1 // the reset empties mailboxes that every lab shares
			}
			opts.BeforeLab = resetCommand(e.Reset, filepath.Dir(cfg.Path))
		}
	}
	return engine.New(opts), nil
}

// sourceDate reads SOURCE_DATE_EPOCH (reproducible-builds.org): seconds
// since 1970 that fix the date pages show; zero when unset.
func sourceDate(env *cliEnv) (time.Time, error) {
	v, ok := env.lookupEnv("SOURCE_DATE_EPOCH")
	if !ok || v == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want a number of seconds since 1970-01-01", v)
	}
	return time.Unix(n, 0).UTC(), nil
}

// localServers applies --servers local: every server name not given by
// --server is the running `wirebook servers`, and no environment applies.
func (c *commonFlags) localServers(env *cliEnv, configPath string) (envFlag string, specs []string, local *localSet, err error) {
	switch {
	case c.local == "":
		return c.env, c.servers, nil, nil
	case c.local != "local":
		return "", nil, nil, fmt.Errorf("--servers %q: the only value is local (the wirebook servers running here)", c.local)
	case c.env != "":
		return "", nil, nil, fmt.Errorf("--servers local and --env %s: choose one", c.env)
	}
	b, err := newEmbeddedProvider().tlsBundle()
	if err != nil {
		return "", nil, nil, err
	}
	if local, err = newLocalSet(env, configPath, b); err != nil {
		return "", nil, nil, err
	}
	return engine.EmbeddedEnv, append([]string{"*=local"}, c.servers...), local, nil
}

// open finds the labs under paths (default: labs) and builds the engine;
// it reports a problem as "wirebook CMD: ..." and returns ok false.
// sel, when not nil, narrows the labs (--shard, --changed).
func (c *commonFlags) open(env *cliEnv, cmd string, paths []string, extra engine.Options, sel *selection) (eng *engine.Engine, dirs, files []string, ok bool) {
	if len(paths) == 0 {
		paths = []string{"labs"}
	}
	files, err := engine.FindLabs(paths)
	extra.Sharded = sel.sharded()
	if err == nil {
		eng, err = c.engine(env, newEmbeddedProvider(), extra, paths...)
	}
	if err == nil && sel != nil {
		files, err = sel.apply(eng, files, c.used)
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "wirebook %s: %v\n", cmd, err)
		return nil, nil, nil, false
	}
	return eng, paths, files, true
}

// resetCommand runs an environment's reset command before each lab.
func resetCommand(command, dir string) func(string, int) error {
	return func(_ string, slot int) error {
		cmd := exec.Command("sh", "-c", command)
		cmd.Dir = dir
		if slot > 0 {
			cmd.Env = append(os.Environ(), fmt.Sprintf("WIREBOOK_SLOT=%d", slot))
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("reset command %q: %v: %s", command, err, strings.TrimSpace(string(out)))
		}
		return nil
	}
}

func cmdBuild(env *cliEnv, args []string) int {
	fs := newFlagSet(env, "build", "[--out DIR] [PATH...]", "Runs every session block of the labs in PATH (default: labs) and writes the HTML site.")
	var common commonFlags
	common.register(fs.FlagSet)
	out := fs.StringP("out", "o", "public", "write the site into `DIR`")
	title := fs.String("title", "", "course title (default: the title of index.md, or \"wirebook course\")")
	refresh := fs.Bool("refresh", false, "run every session again, ignoring the transcript cache")
	offline := fs.Bool("offline", false, "contact no server: show the S: lines written in the labs")
	noCache := fs.Bool("no-cache", false, "neither read nor write the transcript cache (.wirebook/cache)")
	fromCache := fs.Bool("from-cache", false, "contact no server: every transcript comes from the cache (e.g. merged from the shards with 'wirebook report merge --cache'); a lab it cannot serve is an error")
	noExec := fs.Bool("no-exec", false, "run the session blocks but not the code of pycon, console and python run blocks: show their written output, marked not run (a lab the transcript cache has fresh is still shown from it)")
	var sel selection
	sel.register(fs.FlagSet)
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	if *fromCache && (*noCache || *refresh || *offline) {
		fmt.Fprintln(env.stderr, "wirebook build: --from-cache goes with neither --no-cache, --refresh nor --offline")
		return exitUsage
	}
	extra := engine.Options{Refresh: *refresh, Offline: *offline, CacheOnly: *fromCache, NoExec: *noExec}
	if !*noCache {
		extra.Cache = &engine.Cache{Dir: cacheDir}
	}
	eng, paths, files, ok := common.open(env, "build", fs.Args(), extra, &sel)
	if !ok {
		return exitUsage
	}
	results, err := buildSite(env, eng, files, paths, *out, *title, false)
	if err != nil {
		fmt.Fprintln(env.stderr, "wirebook build:", err)
		return exitFailed
	}
	status := reportResults(env.stderr, results)
	fmt.Fprintf(env.stderr, "wrote %d lab pages to %s\n", len(results), filepath.Join(*out, "index.html"))
	return status
}

// loadCourse reads the course title and introduction from index.md in the
// first directory given.
func loadCourse(paths []string, title string) render.Course {
	c := render.Course{Title: title}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			if src, err := os.ReadFile(filepath.Join(p, "index.md")); err == nil {
				l, _ := lab.Parse(filepath.Join(p, "index.md"), src, func(string) bool { return false })
				if c.Title == "" {
					c.Title = l.Front.Title
				}
				c.Intro = l.Markdown
			}
			break
		}
	}
	if c.Title == "" {
		c.Title = "wirebook course"
	}
	return c
}

// exitCodeFor is 2 for a lab-format error, 1 for anything else.
func exitCodeFor(err error) int {
	var le lab.ErrorList
	var one *lab.Error
	if errors.As(err, &le) || errors.As(err, &one) {
		return exitUsage
	}
	return exitFailed
}

// printWarnings prints a lab's warnings; it returns how many there were.
func printWarnings(w io.Writer, r *engine.LabResult) int {
	for _, warning := range r.Warnings {
		fmt.Fprintln(w, warning)
	}
	return len(r.Warnings)
}

// reportResults prints lab errors and failed sessions as file:line: message
// and returns the exit status they call for.
func reportResults(w io.Writer, results []*engine.LabResult) int {
	status := exitOK
	for _, r := range results {
		printWarnings(w, r)
		if r.Err != nil {
			fmt.Fprintln(w, r.Err)
			status = max(status, exitCodeFor(r.Err))
			continue
		}
		for _, s := range r.Sessions {
			switch s.Status {
			case engine.StatusFailed:
				fmt.Fprintf(w, "%s:%d: %s block %d failed: %s\n", r.Path, s.FailureLine(), s.Block.Proto, s.Block.Index+1, highlight.Neutralise(s.Reason))
				status = max(status, exitFailed)
			case engine.StatusMismatch:
				fmt.Fprintf(w, "%s:%d: %s block %d differs from the lab: %s\n", r.Path, s.Comparison.FirstDifferenceLine(), s.Block.Proto, s.Block.Index+1, highlight.Neutralise(s.Reason))
			}
		}
	}
	return status
}

func cmdRun(env *cliEnv, args []string) int {
	fs := newFlagSet(env, "run", "[flags] LAB.md", "Runs one lab's session blocks and prints their transcripts as they happen.")
	var common commonFlags
	common.registerLab(fs.FlagSet)
	step := fs.Bool("step", false, "pause before each exchange; press Enter to send the next client line(s)")
	compare := fs.Bool("compare", false, "show, exchange by exchange, the transcript written in the lab beside the one the server gave")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one LAB.md, got %d paths", fs.NArg())
	}
	color := useColor(env)
	in := bufio.NewReader(env.stdin)
	extra := engine.Options{
		Observe: func(b *lab.Block, ev protocols.Event) {
			switch {
			case *compare:
			case b.Exec != "":
				// Code and its output as at the prompt: no C:/S: marks.
				fmt.Fprintln(env.stdout, highlight.ExecTerminalLine(ev, color))
			default:
				fmt.Fprintln(env.stdout, highlight.TerminalLine(ev, color))
			}
		},
	}
	if *step {
		extra.BeforeSend = func(b *lab.Block, lines []protocols.ClientLine) {
			fmt.Fprintf(env.stderr, "[Enter] to send %s ", stepLines(lines))
			_, _ = in.ReadString('\n')
		}
	}
	eng, err := common.engine(env, newEmbeddedProvider(), extra, fs.Args()...)
	if err != nil {
		fmt.Fprintln(env.stderr, "wirebook run:", err)
		return exitUsage
	}
	path := fs.Arg(0)
	loaded, err := eng.Load(path)
	if err == nil {
		blocks := loaded.Blocks
		eng.SetProgress(func(ev engine.ProgressEvent) {
			if !ev.Done && !*compare && ev.Block <= len(blocks) {
				b := blocks[ev.Block-1]
				fmt.Fprintf(env.stdout, "--- %s:%d %s\n", path, b.Line, b.InfoText)
			}
		})
	}
	r := eng.RunLab(context.Background(), path)
	if *compare {
		for _, s := range r.Sessions {
			printComparison(env, r.Path, s, color)
		}
	}
	return reportResults(env.stderr, []*engine.LabResult{r})
}

// stepLines shows the lines --step is about to send as the lab writes them,
// so a pipelined group reads "C: MAIL ... | C+ RCPT ...".
func stepLines(lines []protocols.ClientLine) string {
	parts := make([]string, len(lines))
	for i, l := range lines {
		ev := protocols.Event{Kind: protocols.Client, Text: l.Display, Pipelined: l.Pipelined}
		if ev.Text == "" {
			ev.Text = l.Text
		}
		parts[i] = highlight.TerminalLine(ev, false)
	}
	return strings.Join(parts, " | ")
}

// printComparison shows the lab's transcript (left) beside the server's
// (right), masks applied, differences marked, then the differences in words.
func printComparison(env *cliEnv, path string, s *engine.SessionResult, color bool) {
	fmt.Fprintf(env.stdout, "=== %s:%d %s\n", path, s.Block.Line, s.Block.InfoText)
	c := s.Comparison
	if c == nil {
		fmt.Fprintf(env.stdout, "  (no transcript: %s)\n", highlight.Neutralise(s.Reason))
		return
	}
	if !c.Written {
		fmt.Fprintln(env.stdout, "  (the lab has no S: lines for this block; run 'wirebook update' to write them)")
	}
	const width = 48
	fmt.Fprintf(env.stdout, "  %-*s   %s\n", width, "in the lab", "from your server")
	for _, row := range c.SideBySide() {
		left, right := fit(highlight.Neutralise(row.Left), width), highlight.Neutralise(row.Right)
		mark := " "
		switch row.Mark {
		case '-':
			mark = "<"
		case '+':
			mark = ">"
		case '!':
			mark = "|"
		}
		line := fmt.Sprintf("%s %-*s %s %s", mark, width, left, mark, right)
		if color && mark != " " {
			line = "\x1b[33m" + line + "\x1b[0m"
		}
		fmt.Fprintln(env.stdout, line)
	}
	for _, d := range c.Differences() {
		fmt.Fprintf(env.stdout, "  * %s\n", highlight.Neutralise(strings.Replace(d, "the reply to", "your server's reply to", 1)))
	}
	if c.Match {
		fmt.Fprintln(env.stdout, "  = same as the lab")
	}
}

func fit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "~"
}

// useColor: colour only on a terminal, and never when NO_COLOR is set.
func useColor(env *cliEnv) bool { return colorTerminal(env, env.stdout) }

// colorTerminal: colour for w only when it is a terminal and NO_COLOR is
// not set (no-color.org).
func colorTerminal(env *cliEnv, w io.Writer) bool {
	if _, set := env.lookupEnv("NO_COLOR"); set {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
