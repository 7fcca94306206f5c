// Package engine loads labs, resolves their servers, runs their session
// blocks and hands the results to the renderer. It knows protocols only
// through the protocols package.
package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/wirebook/wirebook/engine/check"
	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/protocols"
)

// Options configure an Engine.
type Options struct {
	Registry *protocols.Registry
	Embedded EmbeddedProvider // starts a fresh lab server set per lab; nil: embedded servers unavailable
	// Jobs, when set, is how many labs run at once. When 0, labs on the
	// embedded servers (CPU-bound, in this process) run one per CPU and
	// labs only on other servers (waiting on the network) RemoteJobs at once.
	Jobs int
	// RemoteJobs caps labs that use no embedded server when Jobs is 0: an
	// environment's concurrency. 0: DefaultRemoteJobs.
	RemoteJobs int
	// MaxFailures, when set, stops starting labs once that many have
	// failed; the labs not started are reported as not run.
	MaxFailures int
	// LabTimeout, when set, is the longest a lab's sessions may take
	// together; the blocks still running or left fail with a reason.
	LabTimeout time.Duration
	// Slots, when set, hands each lab running against real servers one of
	// a pool of server sets, so that labs that run at once never share
	// mailboxes (an environment's pool:).
	Slots *SlotPool
	// Masks are optional masks (check.OptionalMasks) for every lab: an
	// environment's masks:.
	Masks []string
	// Servers override or add lab servers by name (--server NAME=URL);
	// the name "*" stands for every name not given (--servers local).
	Servers map[string]lab.ServerEntry
	// Local is the running `wirebook servers` that "local" entries use;
	// nil: none.
	Local EmbeddedSet
	// Environment is the course environment in force ("" or EmbeddedEnv:
	// the embedded servers). Under another, every block's server must be
	// one of Servers (or pinned by the lab): nothing silently runs embedded.
	Environment string
	// CourseServers are the server names the course configuration defines
	// in any environment, valid server= names under the embedded servers.
	CourseServers []string
	// LookupEnv reads the environment; os.LookupEnv when nil.
	LookupEnv func(string) (string, bool)
	// Progress, when set, is told when a block starts and ends.
	Progress func(ev ProgressEvent)
	// Now is the clock that dates a session when it runs (kept in the
	// cache with its transcript); time.Now when nil.
	Now func() time.Time
	// SourceDate, when set (from SOURCE_DATE_EPOCH), is the date every
	// session shows instead, so that builds are reproducible.
	SourceDate time.Time
	// Cache, when set, keeps transcripts between builds.
	Cache *Cache
	// Refresh ignores cached transcripts (they are still rewritten).
	Refresh bool
	// Offline contacts no server: the S: lines written in the labs are shown.
	Offline bool
	// CacheOnly contacts no server: a lab the cache cannot serve is an error.
	CacheOnly bool
	// Sharded runs part of a course (--shard): the cache keeps the
	// durations that shards are balanced by (see cacheFile.Duration).
	Sharded bool
	// Observe, when set, sees each transcript line as it happens (redacted).
	Observe func(b *lab.Block, ev protocols.Event)
	// BeforeSend, when set, is called before client lines are sent.
	BeforeSend func(b *lab.Block, lines []protocols.ClientLine)
	// TranscriptDir, when set, holds an environment's own expected
	// transcripts: for each lab a NAME.txt with the server side of its
	// blocks as that environment's servers answer (envtranscript.go).
	// Check compares with it and update writes it; the lab is left alone.
	TranscriptDir string
	// BeforeLab, when set, runs before a lab's sessions (an environment's
	// reset command: real servers keep their mailboxes between labs). slot
	// is the 1-based slot of Slots the lab runs in, 0 without a pool.
	BeforeLab func(path string, slot int) error
	// Secrets are redacted from every output of every lab, whether a lab
	// uses them or not (the environment's secret-named variables).
	Secrets []string
	// Limits override the lab's limits by name (--limit NAME=VALUE);
	// check them with CheckLimits.
	Limits map[string]string
	// Settle is a pause before each block after a lab's first.
	Settle time.Duration
	// NoExec runs session blocks but not the code of executable blocks
	// (pycon, console, python run): they are StatusOffline with their
	// written output, never passed, and update leaves them as written. A
	// lab the cache has fresh is still served from it (its code ran when
	// it was cached); a run that skipped code is never cached.
	NoExec bool
}

// ProgressEvent reports the engine's progress.
type ProgressEvent struct {
	Lab     string
	Block   int // 1-based
	Blocks  int
	Done    bool
	Elapsed time.Duration
}

// EmbeddedProvider starts wirebook's embedded lab servers.
type EmbeddedProvider interface {
	Start(setup Setup) (EmbeddedSet, error)
}

// Setup is what a lab asks of its embedded servers.
type Setup struct {
	Fixtures []Fixture
	// WebRoot is a directory of static files for the embedded web server
	// (the lab's web_root); "" for its built-in teaching site.
	WebRoot string
}

// Fixture is a message (or an empty folder when Data is nil) put in the
// embedded store before a lab runs.
type Fixture struct {
	User, Mailbox string
	Flags         []string
	Data          []byte
}

// EmbeddedSet is one running set of embedded servers with its own store.
type EmbeddedSet interface {
	// Addr is the listening address of a service ("smtp", "smtps",
	// "submission", "pop3", "imaps", "http", ...), "" if not offered.
	Addr(service string) string
	// ClientTLS is a client configuration trusting the set's certificate.
	ClientTLS(serverName string) *tls.Config
	// Hostname is the name the servers announce (mail.example.com).
	Hostname() string
	// Credentials are the default lab login.
	Credentials() (user, password string)
	Close() error
}

// Engine runs labs.
type Engine struct {
	opts  Options
	sched *scheduler
}

// New returns an engine.
func New(opts Options) *Engine {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Engine{opts: opts, sched: newScheduler(opts)}
}

// Cache is the engine's transcript cache, nil when off.
func (e *Engine) Cache() *Cache { return e.opts.Cache }

// SetProgress sets the progress callback.
func (e *Engine) SetProgress(f func(ProgressEvent)) { e.opts.Progress = f }

// Registry is the engine's protocol registry.
func (e *Engine) Registry() *protocols.Registry { return e.opts.Registry }

// LabResult is what running one lab gave.
type LabResult struct {
	Path     string
	Lab      *lab.Lab      // nil when the file could not be read
	Err      error         // a load, format or validation error (lab.ErrorList) or a setup failure
	Warnings lab.ErrorList // things that run but are almost surely wrong
	Sessions []*SessionResult
	env      *envLab // the environment transcripts the sessions were compared with
	// NotRun, when set, says why the lab was not run (--max-failures):
	// it neither passed nor failed.
	NotRun string
}

// Expected names the file holding the S: lines a session is compared
// with: the lab, or its environment transcript; for s nil, the file update
// writes.
func (r *LabResult) Expected(s *SessionResult) string {
	if r.env != nil && (s == nil || !r.env.usesLab(s.Block.Index)) {
		return r.env.file.Path
	}
	return r.Path
}

// Failed reports whether the lab had an error or a failing session.
func (r *LabResult) Failed() bool {
	if r.Err != nil {
		return true
	}
	for _, s := range r.Sessions {
		if s.Status == StatusFailed || s.Status == StatusMismatch {
			return true
		}
	}
	return false
}

// SessionResult is the transcript of one block.
type SessionResult struct {
	Block      *lab.Block
	Events     []protocols.Event
	Status     string
	Comparison *check.Comparison // nil when offline or not comparable
	Cached     bool              // served from the transcript cache
	// Reason explains a failed or mismatched status in one line.
	Reason string
	// Note, under an environment with its own transcripts, says why this
	// block was not compared with an entry of them, and what to do.
	Note string
	// Outcome says how an expect= block ended as its lab expects, e.g.
	// "refused with 550, as the lab expects"; "" otherwise.
	Outcome  string
	Err      error  // connection refused, timeout, protocol error...
	Server   string // the server's name as the lab calls it
	Software string // what the server's greeting announces
	Embedded bool
	Insecure bool
	When     time.Time
	// TLSRefused: the server refused STARTTLS/STLS and the session stopped
	// there, before any later line could go out in clear.
	TLSRefused bool
	// Raised is set when a statement of an executable block raised (a
	// traceback was shown) or a command exited non-zero, at RaisedAt.
	Raised   bool
	RaisedAt int
}

// FindLabs expands paths (files or directories) to lab files in a stable
// order. A directory's index.md is the course page, not a lab.
func FindLabs(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".md") && d.Name() != "index.md" && !strings.EqualFold(d.Name(), "README.md") {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Load parses one lab file.
func (e *Engine) Load(path string) (*lab.Lab, error) {
	return lab.Load(path, func(p string) bool {
		_, _, ok := e.opts.Registry.Lookup(p)
		return ok
	})
}

// SortResults orders labs by their front matter "order", then path.
func SortResults(results []*LabResult) {
	order := func(r *LabResult) int {
		if r.Lab == nil || r.Lab.Front.Order == 0 {
			return 1 << 30
		}
		return r.Lab.Front.Order
	}
	sort.SliceStable(results, func(i, j int) bool {
		if oi, oj := order(results[i]), order(results[j]); oi != oj {
			return oi < oj
		}
		return results[i].Path < results[j].Path
	})
}

// Jobs is how many labs the engine runs at once.
func (e *Engine) Jobs() int { return e.opts.Jobs }

// Scan reads what a build needs of a lab before it runs any: its Path and
// a Lab with the front matter and Markdown (lab.LoadFront), not parsed
// further, so that a build parses each lab once. Err is set only when the
// file cannot be read; the lab's mistakes are found by RunLab, which
// validates a lab before it contacts any server for it.
func (e *Engine) Scan(path string) *LabResult {
	l, err := lab.LoadFront(path)
	return &LabResult{Path: path, Lab: l, Err: err}
}

// Validate loads a lab and checks it without contacting any server: the
// result carries the lab, its warnings, and in Err every error found.
func (e *Engine) Validate(path string) *LabResult {
	res := &LabResult{Path: path}
	l, err := e.Load(path)
	res.Lab = l
	if err != nil {
		res.Err = err
		return res
	}
	if errs, warnings := e.validate(l); errs != nil {
		res.Err, res.Warnings = errs, warnings
	} else {
		res.Warnings = warnings
	}
	return res
}

// RunLab validates one lab and runs its blocks, or serves them from the
// cache when nothing that affects them changed.
func (e *Engine) RunLab(ctx context.Context, path string) *LabResult {
	res := e.Validate(path)
	e.run(ctx, res)
	return res
}

// run runs a validated lab; a lab with an error is left as it is.
func (e *Engine) run(ctx context.Context, res *LabResult) {
	if res.Err != nil {
		return
	}
	e.runValid(ctx, res)
	if !e.opts.SourceDate.IsZero() {
		for _, s := range res.Sessions {
			s.When = e.opts.SourceDate
		}
	}
}

func (e *Engine) runValid(ctx context.Context, res *LabResult) {
	path, l := res.Path, res.Lab
	// l is the lab as it runs: under an environment with its own
	// transcripts, the lab's blocks with the environment's server side;
	// res.Lab stays the lab, whose prose the page shows.
	cacheKey := path
	if e.opts.TranscriptDir != "" {
		env, err := e.environmentLab(l)
		if err != nil {
			res.Err = err
			return
		}
		res.env, l, cacheKey = env, env.lab, env.file.Path
		defer env.explain(res)
	}
	if e.opts.Offline {
		for _, b := range l.Blocks {
			s := &SessionResult{Block: b, Events: WrittenEvents(b), Status: StatusOffline, Server: b.Attrs["server"]}
			if res.env != nil {
				s.When = res.env.captured(b.Index)
			}
			res.Sessions = append(res.Sessions, s)
		}
		return
	}
	keys, err := e.labKeys(l)
	if err != nil {
		res.Err = &lab.Error{File: path, Msg: err.Error()}
		return
	}
	if e.opts.Cache != nil && !e.opts.Refresh {
		// An environment's transcripts have their own cache file.
		if f := e.opts.Cache.load(cacheKey); f != nil && allFresh(staleReasons(keys, f)) {
			res.Sessions = e.fromCache(l, f)
			return
		}
	}
	if e.opts.CacheOnly {
		res.Err = &lab.Error{File: path, Msg: "the transcript cache has no fresh transcript for this lab (--from-cache); run it, or merge the cache of the shard that ran it"}
		return
	}
	release, ok := e.sched.acquire(ctx, e.needsEmbedded(l))
	if !ok {
		e.notRun(res)
		return
	}
	defer func() { release(res.Failed()) }()
	servers, slot := e.opts.Servers, 0
	if p := e.opts.Slots; p != nil && !e.needsEmbedded(l) {
		i, ok := p.acquire(ctx)
		if !ok {
			e.notRun(res)
			return
		}
		defer p.release(i)
		servers, slot = p.overlay(i, servers), i+1
	}
	ctx, cancel := e.labContext(ctx)
	defer cancel()
	started := time.Now()
	if e.opts.BeforeLab != nil {
		if err := e.opts.BeforeLab(path, slot); err != nil {
			res.Err = fmt.Errorf("%s: before the lab: %w", path, err)
			return
		}
	}
	run, err := e.prepare(l, servers)
	if err != nil {
		res.Err = err
		return
	}
	defer run.close()
	for _, b := range l.Blocks {
		if ctx.Err() != nil {
			s := e.deadlineResult(l, b)
			run.verify(s)
			res.Sessions = append(res.Sessions, s)
			continue
		}
		if b.Index > 0 && e.opts.Settle > 0 {
			time.Sleep(e.opts.Settle)
		}
		start := time.Now()
		if e.opts.Progress != nil {
			e.opts.Progress(ProgressEvent{Lab: path, Block: b.Index + 1, Blocks: len(l.Blocks)})
		}
		var s *SessionResult
		if e.opts.NoExec && b.Exec != "" {
			s = &SessionResult{Block: b, Events: WrittenEvents(b), Status: StatusOffline, Reason: "not run (--no-exec)"}
		} else {
			s = run.session(ctx, b)
			run.verify(s)
		}
		res.Sessions = append(res.Sessions, s)
		if e.opts.Progress != nil {
			e.opts.Progress(ProgressEvent{Lab: path, Block: b.Index + 1, Blocks: len(l.Blocks), Done: true, Elapsed: time.Since(start)})
		}
	}
	if e.opts.Cache != nil && !(e.opts.NoExec && hasExec(l)) {
		took := time.Since(started)
		f := &cacheFile{Version: Version + "/" + cacheFormat, Lab: path, Duration: took, LastDuration: took}
		if e.opts.Sharded {
			f.Duration = 0
			if old := e.opts.Cache.load(cacheKey); old != nil {
				f.Duration = old.Duration
			}
		}
		for i, s := range res.Sessions {
			cb := cachedBlock{Keys: keys[i], Events: clientOrdinals(s.Block, s.Events), Server: s.Server, Software: s.Software, Embedded: s.Embedded, Insecure: s.Insecure, When: s.When, TLSRefused: s.TLSRefused,
				Raised: s.Raised, RaisedAt: s.RaisedAt}
			if s.Err != nil {
				cb.Err = reasonOf(s.Err, s.Block.Line)
			}
			f.Blocks = append(f.Blocks, cb)
		}
		if err := e.opts.Cache.store(cacheKey, f); err != nil {
			res.Err = fmt.Errorf("%s: writing the transcript cache: %w", path, err)
		}
	}
}

func hasExec(l *lab.Lab) bool {
	for _, b := range l.Blocks {
		if b.Exec != "" {
			return true
		}
	}
	return false
}

func (e *Engine) parse(path string, src []byte) (*lab.Lab, error) {
	return lab.Parse(path, src, func(p string) bool {
		_, _, ok := e.opts.Registry.Lookup(p)
		return ok
	})
}

func allFresh(reasons []string) bool {
	for _, r := range reasons {
		if r != "" {
			return false
		}
	}
	return true
}

// fromCache rebuilds a lab's results from the cache, comparing again with
// the S: lines as they are written now.
func (e *Engine) fromCache(l *lab.Lab, f *cacheFile) []*SessionResult {
	v := &verifier{lab: l, masks: e.opts.Masks, captured: map[string]string{}}
	var out []*SessionResult
	for i, b := range l.Blocks {
		cb := f.Blocks[i]
		s := &SessionResult{Block: b, Events: clientLines(b, cb.Events), Server: cb.Server, Software: cb.Software,
			Embedded: cb.Embedded, Insecure: cb.Insecure, When: cb.When, Cached: true, TLSRefused: cb.TLSRefused, Raised: cb.Raised, RaisedAt: cb.RaisedAt}
		if cb.Err != "" {
			s.Err = positioned(l, b.Line, errors.New(cb.Err))
		}
		v.verify(s)
		out = append(out, s)
	}
	return out
}

// clientOrdinals stores a client event's lab line as its position among
// the block's client lines: line numbers move when update writes S: lines,
// positions do not.
func clientOrdinals(b *lab.Block, events []protocols.Event) []protocols.Event {
	pos := map[int]int{}
	n := 0
	for _, ln := range b.Lines {
		if ln.Kind == lab.Client || ln.Kind == lab.Pipelined {
			n++
			pos[ln.Num] = n
		}
	}
	out := append([]protocols.Event(nil), events...)
	for i := range out {
		if out[i].Kind == protocols.Client {
			out[i].Source = pos[out[i].Source]
		}
	}
	return out
}

// clientLines is the inverse of clientOrdinals for the block as it is now.
func clientLines(b *lab.Block, events []protocols.Event) []protocols.Event {
	var nums []int
	for _, ln := range b.Lines {
		if ln.Kind == lab.Client || ln.Kind == lab.Pipelined {
			nums = append(nums, ln.Num)
		}
	}
	out := append([]protocols.Event(nil), events...)
	for i := range out {
		if k := out[i].Source; out[i].Kind == protocols.Client && k >= 1 && k <= len(nums) {
			out[i].Source = nums[k-1]
		}
	}
	return out
}

// WrittenEvents turns a block's written lines into a transcript: what an
// offline build shows.
func WrittenEvents(b *lab.Block) []protocols.Event {
	var out []protocols.Event
	for _, ln := range b.Lines {
		switch ln.Kind {
		case lab.Client, lab.Pipelined:
			out = append(out, protocols.Event{Kind: protocols.Client, Text: ln.Text, Source: ln.Num, Pipelined: ln.Kind == lab.Pipelined})
		case lab.Server:
			out = append(out, protocols.Event{Kind: protocols.Server, Text: ln.Text})
		case lab.Note:
			out = append(out, protocols.Event{Kind: protocols.Note, Text: ln.Text})
		}
	}
	return out
}

// positioned wraps err with the block's file:line.
func positioned(l *lab.Lab, line int, err error) error {
	var le *lab.Error
	if errors.As(err, &le) {
		return err
	}
	return &lab.Error{File: l.Path, Line: line, Msg: err.Error()}
}
