// Package serverkit holds the connection bookkeeping shared by the embedded
// lab servers (smtpd, pop3d, imapd): accepting on any number of listeners,
// a bound on concurrent sessions that makes clients wait rather than refusing
// them, and a Close that stops everything and waits.
// The protocol itself, including every reply text, stays in each server.
package serverkit

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// Tracker tracks the listeners and connections of one server. Set its
// fields before the first Serve; the zero value serves without a limit.
type Tracker struct {
	// MaxConns bounds the sessions running at once over all listeners; 0
	// means no bound. A connection over the bound is not refused: it waits,
	// not yet greeted, until a session ends, and meanwhile that listener
	// accepts nothing more, so further clients wait in the kernel's listen
	// queue. That is how Postfix behaves when all its smtpd processes are
	// busy, and it keeps the memory a burst of clients costs bounded.
	MaxConns int

	mu        sync.Mutex
	closed    bool
	done      chan struct{} // closed by Close: waiting connections give up
	slots     chan struct{} // one token per running session (MaxConns > 0)
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	wg        sync.WaitGroup
}

// Serve accepts connections on l until Close, running handle for each in
// its own goroutine and closing the connection when handle returns. It
// returns nil after Close, or the listener's error.
func (t *Tracker) Serve(l net.Listener, handle func(net.Conn)) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		l.Close()
		return nil
	}
	if t.listeners == nil {
		t.listeners = map[net.Listener]struct{}{}
		t.conns = map[net.Conn]struct{}{}
		t.done = make(chan struct{})
		if t.MaxConns > 0 {
			t.slots = make(chan struct{}, t.MaxConns)
		}
	}
	t.listeners[l] = struct{}{}
	t.wg.Add(1)
	t.mu.Unlock()
	defer t.wg.Done()
	defer func() {
		t.mu.Lock()
		delete(t.listeners, l)
		t.mu.Unlock()
	}()

	var backoff time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if t.isClosed() {
				return nil
			}
			if retryable(err) {
				// Out of file descriptors and the like: wait, don't spin.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if !t.track(c) {
			c.Close()
			return nil
		}
		if !t.acquire() {
			t.untrack(c, false)
			t.wg.Done()
			return nil
		}
		go func() {
			defer t.wg.Done()
			defer t.untrack(c, true)
			handle(c)
		}()
	}
}

// retryable reports whether an Accept error is a passing shortage (file
// descriptors, memory) or one aborted handshake rather than a dead listener.
func retryable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// acquire waits for a free session slot; false once the tracker is closed.
func (t *Tracker) acquire() bool {
	if t.slots == nil {
		return true
	}
	select {
	case t.slots <- struct{}{}:
		return true
	case <-t.done:
		return false
	}
}

// track registers c, also while it waits for a slot, so that Close cuts
// it; ok is false once the tracker is closed.
func (t *Tracker) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.conns[c] = struct{}{}
	t.wg.Add(1)
	return true
}

// untrack frees c's slot before closing it, so that a client which has
// seen the close finds the slot free at once.
func (t *Tracker) untrack(c net.Conn, slot bool) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
	if slot && t.slots != nil {
		<-t.slots
	}
	c.Close()
}

func (t *Tracker) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// Close stops every listener and connection and waits until every Serve
// and handler has returned. It reports listener close errors other than
// "already closed".
func (t *Tracker) Close() error {
	t.mu.Lock()
	if !t.closed && t.done != nil {
		close(t.done)
	}
	t.closed = true
	var errs []error
	for l := range t.listeners {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
	return errors.Join(errs...)
}
