package engine

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/wirebook/wirebook/engine/lab"
)

// DefaultRemoteJobs is how many labs that use no embedded server run at
// once when neither -j nor the environment's concurrency says: such labs
// mostly wait on the network, so a CPU count would leave the machine idle.
const DefaultRemoteJobs = 32

// scheduler limits how many labs run at once, in two classes: labs on the
// embedded servers (they and their servers share this process's CPUs) and
// labs only on other servers (they wait on the network).
type scheduler struct {
	local, remote chan struct{}
	maxFailures   int64
	failed        atomic.Int64
}

func newScheduler(o Options) *scheduler {
	local, remote := runtime.NumCPU(), DefaultRemoteJobs
	if o.Jobs > 0 {
		local, remote = o.Jobs, o.Jobs
	}
	if o.RemoteJobs > 0 {
		remote = min(remote, o.RemoteJobs)
	}
	return &scheduler{local: make(chan struct{}, local), remote: make(chan struct{}, remote), maxFailures: int64(o.MaxFailures)}
}

// acquire waits for room to run a lab; it returns false, holding nothing,
// when --max-failures was reached meanwhile.
func (s *scheduler) acquire(ctx context.Context, embedded bool) (release func(failed bool), ok bool) {
	ch := s.remote
	if embedded {
		ch = s.local
	}
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return nil, false
	}
	if s.stopped() {
		<-ch
		return nil, false
	}
	return func(failed bool) {
		if failed {
			s.failed.Add(1)
		}
		<-ch
	}, true
}

func (s *scheduler) stopped() bool {
	return s.maxFailures > 0 && s.failed.Load() >= s.maxFailures
}

// RunLabs loads and validates every lab, then runs the valid ones, several
// at once (see Options.Jobs); sessions inside a lab run in document order.
// No server is contacted before every lab has been validated. Results come
// back in the order of paths, sorted by the labs' "order" front matter.
func (e *Engine) RunLabs(ctx context.Context, paths []string) []*LabResult {
	results := make([]*LabResult, len(paths))
	each(len(paths), runtime.NumCPU(), func(i int) { results[i] = e.Validate(paths[i]) })
	// No more labs in hand (waiting to run) than can run at once.
	each(len(paths), cap(e.sched.local)+cap(e.sched.remote), func(i int) { e.run(ctx, results[i]) })
	SortResults(results)
	return results
}

// each calls f(0..n-1), limit at a time, and waits for them all: a course
// of thousands of labs is not parsed, or waiting to run, all at once.
func each(n, limit int, f func(i int)) {
	var wg sync.WaitGroup
	inHand := make(chan struct{}, max(limit, 1))
	for i := 0; i < n; i++ {
		wg.Add(1)
		inHand <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-inHand }()
			f(i)
		}()
	}
	wg.Wait()
}

// needsEmbedded reports whether any block of the lab runs on the embedded
// servers.
func (e *Engine) needsEmbedded(l *lab.Lab) bool {
	for _, b := range l.Blocks {
		if isEmbedded(e.serverEntry(l, b.Attrs["server"])) {
			return true
		}
	}
	return false
}

// notRun is the result of a lab that --max-failures kept from starting.
func (e *Engine) notRun(res *LabResult) *LabResult {
	res.NotRun = fmt.Sprintf("not run: %d lab(s) had already failed (--max-failures %d)", e.sched.failed.Load(), e.sched.maxFailures)
	return res
}

// labContext applies the per-lab deadline.
func (e *Engine) labContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if e.opts.LabTimeout > 0 {
		return context.WithTimeout(ctx, e.opts.LabTimeout)
	}
	return context.WithCancel(ctx)
}

// deadlineResult is a block that the lab's deadline kept from starting.
func (e *Engine) deadlineResult(l *lab.Lab, b *lab.Block) *SessionResult {
	return &SessionResult{Block: b, Server: b.Attrs["server"], When: e.opts.Now(),
		Err: positioned(l, b.Line, fmt.Errorf("not run: the lab's deadline (--lab-timeout %s) had passed", e.opts.LabTimeout))}
}

// deadlineError explains an error that came from the lab's deadline.
func (e *Engine) deadlineError(ctx context.Context, err error) error {
	if err != nil && ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("the lab's deadline (--lab-timeout %s) passed during this block", e.opts.LabTimeout)
	}
	return err
}

// SlotPool hands out server sets to labs that run at once against real
// servers: slot i's overlays replace fields of the environment's servers
// (ports, user, password...), so two labs never share a mailbox.
type SlotPool struct {
	free  chan int
	slots []map[string]lab.ServerEntry
}

// NewSlotPool makes a pool from an environment's pool: entries.
func NewSlotPool(slots []map[string]lab.ServerEntry) *SlotPool {
	p := &SlotPool{free: make(chan int, len(slots)), slots: slots}
	for i := range slots {
		p.free <- i
	}
	return p
}

func (p *SlotPool) acquire(ctx context.Context) (int, bool) {
	select {
	case i := <-p.free:
		return i, true
	case <-ctx.Done():
		return 0, false
	}
}

func (p *SlotPool) release(i int) { p.free <- i }

// overlay returns base with the slot's fields laid over it.
func (p *SlotPool) overlay(i int, base map[string]lab.ServerEntry) map[string]lab.ServerEntry {
	out := make(map[string]lab.ServerEntry, len(base))
	for k, v := range base {
		out[k] = v
	}
	for name, o := range p.slots[i] {
		out[name] = OverlayServer(out[name], o)
	}
	return out
}

// OverlayServer lays the fields o sets over e; ports and vars merge key by
// key.
func OverlayServer(e, o lab.ServerEntry) lab.ServerEntry {
	if o.URL != "" {
		e.URL = o.URL
	}
	if o.Host != "" {
		e.Host = o.Host
	}
	if o.TLS != "" {
		e.TLS = o.TLS
	}
	if o.CAFile != "" {
		e.CAFile = o.CAFile
	}
	if o.User != "" {
		e.User = o.User
	}
	if o.Password != "" {
		e.Password = o.Password
	}
	e.Insecure = e.Insecure || o.Insecure
	e.Ports = mergeMap(e.Ports, o.Ports)
	e.Vars = mergeMap(e.Vars, o.Vars)
	return e
}

func mergeMap[V any](a, b map[string]V) map[string]V {
	if len(b) == 0 {
		return a
	}
	out := make(map[string]V, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
