package mailstore

import (
	"errors"
	"testing"
	"time"
)

func newStore() *Store { return New(Config{Clock: NewStepClock()}) }

func TestDeliverReachesInboxWithRecent(t *testing.T) {
	s := newStore()
	user, ok := s.LocalUser("Alice@Example.com")
	if !ok || user != "alice" {
		t.Fatalf("LocalUser = %q, %v", user, ok)
	}
	if _, ok := s.LocalUser("alice@elsewhere.org"); ok {
		t.Errorf("a foreign domain is local")
	}
	if err := s.Deliver([]string{"alice"}, []byte("Subject: x\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	msgs, info, err := s.Messages("alice", "inbox")
	if err != nil || len(msgs) != 1 || msgs[0].UID != 1 || !msgs[0].HasFlag(`\Recent`) || info.UIDNext != 2 || info.UIDValidity != DefaultUIDValidity {
		t.Fatalf("Messages = %+v %+v %v", msgs, info, err)
	}
	if !msgs[0].InternalDate.Equal(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("internal date = %v, want the step clock's start", msgs[0].InternalDate)
	}
	msgs[0].Flags[0] = `\Deleted`
	again, _, _ := s.Messages("alice", "INBOX")
	if again[0].HasFlag(`\Deleted`) {
		t.Errorf("changing a returned copy's flags changed the store")
	}
}

func TestAuthenticate(t *testing.T) {
	s := newStore()
	for _, tt := range []struct {
		user, pass string
		ok         bool
	}{{"alice", "alice-pw", true}, {"alice@example.com", "alice-pw", true}, {"alice", "bob-pw", false}, {"carol", "x", false}} {
		if _, ok := s.Authenticate(tt.user, tt.pass); ok != tt.ok {
			t.Errorf("Authenticate(%q, %q) = %v", tt.user, tt.pass, ok)
		}
	}
}

func TestFlagsExpungeCopy(t *testing.T) {
	s := newStore()
	s.Deliver([]string{"bob"}, []byte("a"))
	s.Deliver([]string{"bob"}, []byte("b"))
	got, _ := s.UpdateFlags("bob", "INBOX", []uint32{1}, AddFlags, []string{`\Deleted`, `\Recent`})
	if f := got[1]; len(f) != 2 || f[0] != `\Deleted` || f[1] != `\Recent` {
		t.Errorf("flags after +FLAGS = %v (a client cannot set or clear \\Recent)", f)
	}
	if err := s.CreateMailbox("bob", "Archive"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateMailbox("bob", "Archive"); !errors.Is(err, ErrMailboxExists) {
		t.Errorf("second create = %v", err)
	}
	uids, err := s.Copy("bob", "INBOX", []uint32{2}, "Archive")
	if err != nil || len(uids) != 1 || uids[0] != 1 {
		t.Errorf("Copy = %v %v", uids, err)
	}
	removed, _ := s.Expunge("bob", "INBOX", nil)
	if len(removed) != 1 || removed[0] != 1 {
		t.Errorf("Expunge removed %v, want [1]", removed)
	}
	if err := s.DeleteMailbox("bob", "inbox"); !errors.Is(err, ErrInboxSpecial) {
		t.Errorf("deleting INBOX = %v", err)
	}
}

func TestWatchSignalsChanges(t *testing.T) {
	s := newStore()
	ch, stop := s.Watch("alice", "INBOX")
	defer stop()
	s.Deliver([]string{"alice"}, []byte("x"))
	select {
	case <-ch:
	case <-time.After(time.Second):
		t.Fatal("no signal after a delivery")
	}
}

func TestLimits(t *testing.T) {
	s := New(Config{MaxMessage: 10})
	if err := s.Deliver([]string{"alice"}, make([]byte, 11)); !errors.Is(err, ErrTooBig) {
		t.Errorf("oversized delivery = %v", err)
	}
	if err := s.Deliver([]string{"nobody"}, []byte("x")); !errors.Is(err, ErrNoSuchUser) {
		t.Errorf("delivery to an unknown user = %v", err)
	}
}

func TestSubscriptionsStartEmpty(t *testing.T) {
	s := newStore()
	if err := s.CreateMailbox("alice", "Work"); err != nil {
		t.Fatal(err)
	}
	subscribed := func() map[string]bool {
		boxes, err := s.Mailboxes("alice")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, mb := range boxes {
			got[mb.Name] = mb.Subscribed
		}
		return got
	}
	if got := subscribed(); got["INBOX"] || got["Work"] {
		t.Errorf("subscriptions of a new store = %v, want none (as Dovecot)", got)
	}
	if err := s.SetSubscribed("alice", "Work", true); err != nil {
		t.Fatal(err)
	}
	if got := subscribed(); !got["Work"] || got["INBOX"] {
		t.Errorf("after subscribing Work: %v, want only Work", got)
	}
	if err := s.SetSubscribed("alice", "Nope", true); !errors.Is(err, ErrNoSuchMailbox) {
		t.Errorf("subscribing a missing mailbox: err = %v, want ErrNoSuchMailbox", err)
	}
}
