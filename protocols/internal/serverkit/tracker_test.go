package serverkit

import (
	"bufio"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// serve runs tr.Serve in the background and returns its result channel.
func serve(tr *Tracker, l net.Listener, handle func(net.Conn)) <-chan error {
	done := make(chan error, 1)
	go func() { done <- tr.Serve(l, handle) }()
	return done
}

func dial(t *testing.T, l net.Listener) *bufio.Reader {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return bufio.NewReader(c)
}

func TestTrackerMakesConnectionsOverTheBoundWait(t *testing.T) {
	tr := &Tracker{MaxConns: 1}
	l := listen(t)
	release := make(chan struct{})
	done := serve(tr, l, func(c net.Conn) {
		c.Write([]byte("hello\r\n"))
		<-release
	})

	first := dial(t, l)
	if got, _ := first.ReadString('\n'); got != "hello\r\n" {
		t.Fatalf("first connection got %q, want the greeting", got)
	}
	// The second client is neither greeted nor refused while the first
	// session runs: it waits. A read that ends by its deadline shows that.
	second, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, err := second.Read(make([]byte, 16)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("second connection over the bound: read %d bytes, %v; want it to wait", n, err)
	}
	close(release)
	second.SetReadDeadline(time.Time{})
	if got, _ := bufio.NewReader(second).ReadString('\n'); got != "hello\r\n" {
		t.Errorf("second connection got %q once the first ended, want the greeting", got)
	}
	if err := tr.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve after Close = %v, want nil", err)
	}
}

func TestTrackerCloseEndsWaitingConnections(t *testing.T) {
	tr := &Tracker{MaxConns: 1}
	l := listen(t)
	done := serve(tr, l, func(c net.Conn) {
		c.Write([]byte("hello\r\n"))
		c.Read(make([]byte, 1))
	})
	if got, _ := dial(t, l).ReadString('\n'); got != "hello\r\n" {
		t.Fatalf("got %q, want the greeting", got)
	}
	waiting := dial(t, l)
	time.Sleep(50 * time.Millisecond) // let Serve accept it and wait
	if err := tr.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve after Close = %v, want nil", err)
	}
	if b, err := waiting.ReadByte(); err == nil {
		t.Errorf("waiting connection got %q after Close, want it closed", b)
	}
}

// Every one of many short sessions through a bound of 4 gets served: a slot
// freed just after the client saw its session end is never a refusal.
func TestTrackerServesEveryShortSessionThroughTheBound(t *testing.T) {
	tr := &Tracker{MaxConns: 4}
	l := listen(t)
	done := serve(tr, l, func(c net.Conn) { c.Write([]byte("hello\r\n")) })
	defer func() {
		tr.Close()
		<-done
	}()
	var wg sync.WaitGroup
	var greeted atomic.Int32
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				c, err := net.Dial("tcp", l.Addr().String())
				if err != nil {
					t.Error(err)
					return
				}
				if got, _ := bufio.NewReader(c).ReadString('\n'); got == "hello\r\n" {
					greeted.Add(1)
				}
				c.Close()
			}
		}()
	}
	wg.Wait()
	if got := greeted.Load(); got != 16*25 {
		t.Errorf("%d of %d sessions greeted", got, 16*25)
	}
}

func TestTrackerFreesSlotWhenSessionEnds(t *testing.T) {
	tr := &Tracker{MaxConns: 1}
	l := listen(t)
	done := serve(tr, l, func(c net.Conn) { c.Write([]byte("hello\r\n")) })
	defer func() {
		tr.Close()
		<-done
	}()

	for i := range 2 {
		r := dial(t, l)
		if got, _ := r.ReadString('\n'); got != "hello\r\n" {
			t.Fatalf("connection %d got %q, want the greeting", i, got)
		}
		if _, err := r.ReadByte(); err == nil {
			t.Fatalf("connection %d stayed open after its session", i)
		}
	}
}

func TestTrackerCloseCutsSessionsAndWaits(t *testing.T) {
	var tr Tracker
	l1, l2 := listen(t), listen(t)
	var finished atomic.Int32
	handle := func(c net.Conn) {
		c.Write([]byte("hello\r\n"))
		c.Read(make([]byte, 1)) // blocks until Close cuts the conn
		finished.Add(1)
	}
	done1, done2 := serve(&tr, l1, handle), serve(&tr, l2, handle)
	for _, l := range []net.Listener{l1, l2} {
		if got, _ := dial(t, l).ReadString('\n'); got != "hello\r\n" {
			t.Fatalf("got %q, want the greeting", got)
		}
	}

	if err := tr.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if got := finished.Load(); got != 2 {
		t.Errorf("Close returned with %d of 2 handlers finished", got)
	}
	for _, done := range []<-chan error{done1, done2} {
		if err := <-done; err != nil {
			t.Errorf("Serve after Close = %v, want nil", err)
		}
	}
}

func TestTrackerServeAfterCloseClosesListener(t *testing.T) {
	var tr Tracker
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	l := listen(t)
	if err := tr.Serve(l, func(net.Conn) { t.Error("handler ran after Close") }); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept on the listener = %v, want net.ErrClosed", err)
	}
}
