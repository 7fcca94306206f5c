// Package serverkit holds the connection bookkeeping shared by the embedded
// lab servers (smtpd, pop3d, imapd): accepting on any number of listeners,
// a cap on concurrent sessions, and a Close that stops everything and waits.
// The protocol itself, including every reply text, stays in each server.
package serverkit

import (
	"errors"
	"net"
	"sync"
	"time"
)

// Tracker tracks the listeners and connections of one server. Set its
// fields before the first Serve; the zero value serves without a limit.
type Tracker struct {
	// MaxConns caps concurrent sessions; 0 means no cap.
	MaxConns int
	// Refuse, when set, is given each connection over MaxConns instead of
	// a session, to say goodbye in the protocol's words. It runs in its
	// own goroutine; the connection is closed when it returns. Without
	// it, such connections are closed silently.
	Refuse func(net.Conn)

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	sessions  int // tracked conns that got a session rather than Refuse
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
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of file descriptors and the like: wait, don't spin.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		session, ok := t.track(c)
		if !ok {
			c.Close()
			return nil
		}
		run := handle
		if !session {
			run = t.refuse
		}
		go func() {
			defer t.wg.Done()
			defer t.untrack(c, session)
			run(c)
		}()
	}
}

func (t *Tracker) refuse(c net.Conn) {
	if t.Refuse != nil {
		t.Refuse(c)
	}
}

// track registers c, tracked even when refused so that Close can cut a
// stuck goodbye; session is false when c is over the cap, ok is false
// once the tracker is closed.
func (t *Tracker) track(c net.Conn) (session, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false, false
	}
	session = t.MaxConns <= 0 || t.sessions < t.MaxConns
	if session {
		t.sessions++
	}
	t.conns[c] = struct{}{}
	t.wg.Add(1)
	return session, true
}

// untrack frees c's slot before closing it, so a client that has seen
// the close can count on the slot being free.
func (t *Tracker) untrack(c net.Conn, session bool) {
	t.mu.Lock()
	delete(t.conns, c)
	if session {
		t.sessions--
	}
	t.mu.Unlock()
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

// RefuseWith returns a Refuse func that writes line (CRLF included) with a
// short deadline, so a client that never reads cannot hold the goroutine.
func RefuseWith(line string) func(net.Conn) {
	return func(c net.Conn) {
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Write([]byte(line))
	}
}
