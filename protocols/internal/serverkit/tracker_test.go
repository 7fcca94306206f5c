package serverkit

import (
	"bufio"
	"errors"
	"net"
	"sync/atomic"
	"testing"
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

func TestTrackerRefusesOverTheCap(t *testing.T) {
	tr := &Tracker{MaxConns: 1, Refuse: RefuseWith("busy\r\n")}
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
	second := dial(t, l)
	if got, _ := second.ReadString('\n'); got != "busy\r\n" {
		t.Errorf("second connection got %q, want the refusal", got)
	}
	if _, err := second.ReadByte(); err == nil {
		t.Error("refused connection stayed open")
	}

	close(release)
	if err := tr.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve after Close = %v, want nil", err)
	}
}

func TestTrackerFreesSlotWhenSessionEnds(t *testing.T) {
	tr := &Tracker{MaxConns: 1, Refuse: RefuseWith("busy\r\n")}
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
