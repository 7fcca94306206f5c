package mailstore

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Config{Clock: NewStepClock(), Users: []User{{"alice", "a"}, {"bob", "b"}}})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

func TestOpenKeepsMailAcrossReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	s := openStore(t, dir)
	must(t, s.Deliver([]string{"alice"}, []byte("Subject: one\r\n\r\n1\r\n")))
	must(t, s.Deliver([]string{"alice", "bob"}, []byte("Subject: two\r\n\r\n2\r\n")))
	must(t, s.CreateMailbox("alice", "Projects/2026"))
	must(t, s.CreateMailbox("alice", "Old.stuff"))
	if _, err := s.Copy("alice", "INBOX", []uint32{2}, "Projects/2026"); err != nil {
		t.Fatal(err)
	}
	must(t, s.ClearRecent("alice", "INBOX", math.MaxUint32))
	if _, err := s.UpdateFlags("alice", "INBOX", []uint32{1}, AddFlags, []string{`\Seen`, `\Flagged`, "$Important"}); err != nil {
		t.Fatal(err)
	}
	must(t, s.SetSubscribed("alice", "Projects/2026", true))
	must(t, s.RenameMailbox("alice", "Old.stuff", "Archive"))
	before, beforeInfo, _ := s.Messages("alice", "INBOX")

	// The layout is Maildir++: a seen message in cur/ with its flags in the
	// name, a recent one in new/, folders as dot directories.
	got := files(t, dir)
	hasMatch := func(prefix, suffix string) bool {
		return slices.ContainsFunc(got, func(f string) bool { return strings.HasPrefix(f, prefix) && strings.HasSuffix(f, suffix) })
	}
	if !hasMatch("alice/cur/", ":2,FS") || !hasMatch("bob/new/", ",S=19") || !hasMatch("alice/.Projects.2026/new/", "") ||
		!slices.Contains(got, "alice/.Archive/wirebook-index") || slices.Contains(got, "alice/.Old%2Estuff/wirebook-index") {
		t.Errorf("store files:\n%s", strings.Join(got, "\n"))
	}
	if hasMatch("alice/tmp/", "") {
		t.Errorf("a file was left in tmp/: %v", got)
	}

	must(t, s.Close())
	r := openStore(t, dir)
	after, afterInfo, err := r.Messages("alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) || afterInfo.UIDNext != beforeInfo.UIDNext || afterInfo.UIDValidity != beforeInfo.UIDValidity {
		t.Fatalf("after reopen %+v %+v, before %+v %+v", after, afterInfo, before, beforeInfo)
	}
	for i := range before {
		if after[i].UID != before[i].UID || !slices.Equal(after[i].Flags, before[i].Flags) || string(after[i].Data) != string(before[i].Data) ||
			!after[i].InternalDate.Equal(before[i].InternalDate) {
			t.Errorf("message %d: after %+v, before %+v", i, after[i], before[i])
		}
	}
	boxes, _ := r.Mailboxes("alice")
	var names []string
	for _, b := range boxes {
		names = append(names, b.Name)
		if b.Name == "Projects/2026" && (!b.Subscribed || b.Messages != 1 || b.Recent != 1) {
			t.Errorf("Projects/2026 after reopen: %+v", b)
		}
	}
	if !slices.Equal(names, []string{"INBOX", "Archive", "Projects/2026"}) {
		t.Errorf("mailboxes after reopen: %q", names)
	}
	if st, _ := r.Status("alice", "INBOX"); !slices.Contains(st.Keywords, "$Important") {
		t.Errorf("INBOX keywords after reopen: %q", st.Keywords)
	}
	bobs, _, _ := r.Messages("bob", "INBOX")
	if len(bobs) != 1 || !bobs[0].HasFlag(`\Recent`) {
		t.Errorf("bob's INBOX after reopen: %+v", bobs)
	}
}

func TestExpungeAndDeleteRemoveFiles(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	must(t, s.Deliver([]string{"alice"}, []byte("Subject: x\r\n\r\nx\r\n")))
	must(t, s.CreateMailbox("alice", "Trash"))
	if _, err := s.Copy("alice", "INBOX", []uint32{1}, "Trash"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Expunge("alice", "INBOX", []uint32{1}); err != nil {
		t.Fatal(err)
	}
	must(t, s.DeleteMailbox("alice", "Trash"))
	for _, f := range files(t, dir) {
		if strings.Contains(f, "/new/") || strings.Contains(f, "/cur/") || strings.Contains(f, "Trash") {
			t.Errorf("file left after expunge and delete: %s", f)
		}
	}
	// A mailbox created again starts empty, not with the deleted one's mail.
	must(t, s.CreateMailbox("alice", "Trash"))
	must(t, s.Close())
	r := openStore(t, dir)
	if msgs, _, _ := r.Messages("alice", "Trash"); len(msgs) != 0 {
		t.Errorf("re-created Trash holds %d messages", len(msgs))
	}
	if msgs, _, _ := r.Messages("alice", "INBOX"); len(msgs) != 0 {
		t.Errorf("INBOX holds %d messages after expunge", len(msgs))
	}
}

func TestOpenAdoptsMailDroppedIntoNew(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	must(t, s.Deliver([]string{"alice"}, []byte("Subject: first\r\n\r\n")))
	must(t, s.Close())
	// Another program delivers the Maildir way, and a reader marks the
	// first message seen by renaming it.
	must(t, os.WriteFile(filepath.Join(dir, "alice", "tmp", "9999.x.host"), []byte("Subject: dropped\r\n\r\n"), 0o600))
	must(t, os.Rename(filepath.Join(dir, "alice", "tmp", "9999.x.host"), filepath.Join(dir, "alice", "new", "9999.x.host")))
	news, _ := os.ReadDir(filepath.Join(dir, "alice", "new"))
	for _, e := range news {
		if e.Name() != "9999.x.host" {
			must(t, os.Rename(filepath.Join(dir, "alice", "new", e.Name()), filepath.Join(dir, "alice", "cur", e.Name()+":2,S")))
		}
	}
	r := openStore(t, dir)
	msgs, info, _ := r.Messages("alice", "INBOX")
	if len(msgs) != 2 || msgs[0].UID != 1 || !msgs[0].HasFlag(`\Seen`) || msgs[0].HasFlag(`\Recent`) ||
		msgs[1].UID != 2 || string(msgs[1].Data) != "Subject: dropped\r\n\r\n" || !msgs[1].HasFlag(`\Recent`) || info.UIDNext != 3 {
		t.Errorf("after reopen: %+v %+v", msgs, info)
	}
}

func TestOpenRefusesADirectoryOfOtherFiles(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600))
	if _, err := Open(dir, Config{}); !errors.Is(err, ErrNotAStore) {
		t.Errorf("Open on a directory of other files = %v, want ErrNotAStore", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
		t.Errorf("the other file changed: %q", b)
	}
}

func TestFolderNamesRoundTrip(t *testing.T) {
	for _, name := range []string{"Sent", "Projects/2026", "a.b", "100%", "x:y", "Entwürfe"} {
		dir := filepath.Base(folderDir("/u", name))
		got, ok := decodeFolder(dir)
		if !ok || got != name || strings.Contains(dir[1:], "/") {
			t.Errorf("%q -> %q -> %q %v", name, dir, got, ok)
		}
	}
}

func TestUIDValidityIsNeverReusedAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	must(t, s.CreateMailbox("alice", "Drafts"))
	first, _ := s.Status("alice", "Drafts")
	must(t, s.DeleteMailbox("alice", "Drafts"))
	must(t, s.Close())
	// Reopened, the deleted mailbox is gone, and so it cannot be what the
	// next UIDVALIDITY is counted from: the store remembers.
	r := openStore(t, dir)
	must(t, r.CreateMailbox("alice", "Drafts"))
	again, _ := r.Status("alice", "Drafts")
	if again.UIDValidity <= first.UIDValidity {
		t.Errorf("Drafts made again after a reopen has UIDVALIDITY %d, the deleted one had %d", again.UIDValidity, first.UIDValidity)
	}
	inbox1, _ := s.Status("alice", "INBOX")
	inbox2, _ := r.Status("alice", "INBOX")
	if inbox1.UIDValidity != inbox2.UIDValidity {
		t.Errorf("INBOX UIDVALIDITY changed across reopen: %d then %d", inbox1.UIDValidity, inbox2.UIDValidity)
	}
}

func TestOpenRefusesAStoreInUse(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	if _, err := Open(dir, Config{}); !errors.Is(err, ErrStoreInUse) {
		t.Errorf("second Open of an open store = %v, want ErrStoreInUse", err)
	}
	must(t, s.Close())
	r := openStore(t, dir)
	must(t, r.Close())
	// A lock left by a process that is gone is taken over.
	must(t, os.WriteFile(filepath.Join(dir, lockFile), []byte("999999999\n"), 0o600))
	again := openStore(t, dir)
	must(t, again.Close())
}

// Deliveries flush their files outside the lock; many at once must still
// all land in new/ with distinct UIDs and nothing left in tmp/.
func TestConcurrentDeliveriesAllLand(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Deliver([]string{"alice", "bob"}, fmt.Appendf(nil, "Subject: %d\r\n\r\n", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	must(t, s.Close())
	r := openStore(t, dir)
	for _, u := range []string{"alice", "bob"} {
		msgs, info, _ := r.Messages(u, "INBOX")
		if len(msgs) != 40 || info.UIDNext != 41 {
			t.Errorf("%s: %d messages, UIDNEXT %d after 40 deliveries", u, len(msgs), info.UIDNext)
		}
		if tmp, _ := os.ReadDir(filepath.Join(dir, u, "tmp")); len(tmp) != 0 {
			t.Errorf("%s: %d files left in tmp/", u, len(tmp))
		}
	}
}
