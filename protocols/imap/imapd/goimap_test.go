package imapd

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

// lockedBuffer collects go-imap's wire log, written from its reader
// goroutine and the test's.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var serverBAD = regexp.MustCompile(`(?m)^(\*|[A-Za-z0-9.]+) BAD .*$`)

func dialGoIMAP(t *testing.T, ts *testServer, opts *imapclient.Options) (*imapclient.Client, *lockedBuffer) {
	t.Helper()
	wire := &lockedBuffer{}
	if opts == nil {
		opts = &imapclient.Options{}
	}
	opts.DebugWriter = wire
	c, err := imapclient.DialInsecure(ts.addr, opts)
	if err != nil {
		t.Fatalf("go-imap dial: %v", err)
	}
	t.Cleanup(func() {
		c.Close()
		if bad := serverBAD.FindAllString(wire.String(), -1); len(bad) > 0 {
			t.Errorf("the server answered go-imap with BAD:\n%s", strings.Join(bad, "\n"))
		}
	})
	return c, wire
}

// must fails the test on err, naming the command.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantNO checks that a command of an extension the server does not offer
// fails with NO, not BAD.
func wantNO(t *testing.T, what string, err error) {
	t.Helper()
	var imapErr *imap.Error
	if !errors.As(err, &imapErr) || imapErr.Type != imap.StatusResponseTypeNo {
		t.Errorf("%s = %v, want a NO", what, err)
	}
}

// TestGoIMAPClient runs every command go-imap v2's client offers against
// the server; none may get BAD (issue 12's acceptance).
func TestGoIMAPClient(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	expunged := make(chan uint32, 8)
	c, wire := dialGoIMAP(t, ts, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Expunge: func(seq uint32) { expunged <- seq },
	}})

	caps, err := c.Capability().Wait()
	must(t, "CAPABILITY", err)
	for _, cp := range []imap.Cap{imap.CapIMAP4rev1, imap.CapIdle, imap.CapUIDPlus, imap.CapMove, imap.CapNamespace, imap.CapUnselect, imap.CapID, imap.CapListExtended, imap.CapListStatus} {
		if !caps.Has(cp) {
			t.Errorf("CAPABILITY lacks %s", cp)
		}
	}
	id, err := c.ID(&imap.IDData{Name: "go-imap-test", Version: "2"}).Wait()
	must(t, "ID", err)
	if id.Name != "wirebook" {
		t.Errorf("ID name = %q", id.Name)
	}
	must(t, "AUTHENTICATE PLAIN", c.Authenticate(sasl.NewPlainClient("", "alice", "alice-pw")))
	enabled, err := c.Enable(imap.CapUTF8Accept).Wait()
	must(t, "ENABLE", err)
	if enabled.Caps.Has(imap.CapUTF8Accept) {
		t.Errorf("ENABLE turned on UTF8=ACCEPT, which the server does not offer")
	}
	ns, err := c.Namespace().Wait()
	must(t, "NAMESPACE", err)
	if len(ns.Personal) != 1 || ns.Personal[0].Delim != '/' {
		t.Errorf("NAMESPACE personal = %+v", ns.Personal)
	}
	must(t, "NOOP", c.Noop().Wait())

	must(t, "CREATE", c.Create("Projects/2026", nil).Wait())
	must(t, "CREATE", c.Create("Scratch", nil).Wait())
	must(t, "RENAME", c.Rename("Scratch", "Archive", nil).Wait())
	must(t, "SUBSCRIBE", c.Subscribe("Projects/2026").Wait())
	must(t, "SUBSCRIBE", c.Subscribe("Archive").Wait())
	must(t, "UNSUBSCRIBE", c.Unsubscribe("Archive").Wait())
	must(t, "CREATE", c.Create("Trash", nil).Wait())
	must(t, "DELETE", c.Delete("Trash").Wait())

	list, err := c.List("", "%", nil).Collect()
	must(t, "LIST", err)
	if names := listNames(list); names != "INBOX Archive Projects" {
		t.Errorf("LIST %% = %s", names)
	}
	list, err = c.List("", "*", &imap.ListOptions{SelectSubscribed: true, SelectRecursiveMatch: true, ReturnChildren: true}).Collect()
	must(t, "LIST (SUBSCRIBED RECURSIVEMATCH)", err)
	if names := listNames(list); names != "Projects/2026" {
		t.Errorf("LIST (SUBSCRIBED) = %s", names)
	}
	list, err = c.List("", "%", &imap.ListOptions{ReturnSubscribed: true, ReturnStatus: &imap.StatusOptions{NumMessages: true, NumUnseen: true, UIDNext: true}}).Collect()
	must(t, "LIST RETURN (STATUS)", err)
	if len(list) != 3 || list[0].Status == nil || *list[0].Status.NumMessages != 3 || list[2].Status != nil {
		t.Errorf("LIST RETURN (STATUS) = %+v", list)
	}
	status, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true, NumUnseen: true, UIDNext: true, UIDValidity: true}).Wait()
	must(t, "STATUS", err)
	if *status.NumMessages != 3 || status.UIDValidity != 1700000000 {
		t.Errorf("STATUS = %+v", status)
	}

	msg := "From: Carol <carol@example.org>\r\nTo: alice@example.com\r\nSubject: via go-imap\r\n\r\nAppended.\r\n"
	app := c.Append("INBOX", int64(len(msg)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen, "$Label1"}, Time: time.Date(2026, 1, 9, 8, 0, 0, 0, time.UTC)})
	app.Write([]byte(msg))
	must(t, "APPEND close", app.Close())
	appended, err := app.Wait()
	must(t, "APPEND", err)
	if appended.UID != 4 || appended.UIDValidity != 1700000000 {
		t.Errorf("APPENDUID = %+v", appended)
	}

	sel, err := c.Select("INBOX", nil).Wait()
	must(t, "SELECT", err)
	if sel.NumMessages != 4 || !containsFlag(sel.Flags, "$Label1") || !containsFlag(sel.PermanentFlags, imap.FlagWildcard) {
		t.Errorf("SELECT = %+v", sel)
	}
	fetched, err := c.Fetch(imap.SeqSetNum(1, 2, 4), &imap.FetchOptions{
		UID: true, Flags: true, InternalDate: true, RFC822Size: true, Envelope: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
		BodySection: []*imap.FetchItemBodySection{
			{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Subject"}, Peek: true},
			{Specifier: imap.PartSpecifierText, Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: 5}},
			{Part: []int{1, 1}, Peek: true},
		},
	}).Collect()
	must(t, "FETCH", err)
	if len(fetched) != 3 || fetched[2].Envelope.Subject != "via go-imap" || fetched[0].Envelope.From[0].Host != "example.com" {
		t.Errorf("FETCH = %d messages, %+v", len(fetched), fetched)
	}
	search, err := c.Search(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "bob@example.com"}}}, nil).Wait()
	must(t, "SEARCH", err)
	if got := search.AllSeqNums(); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("SEARCH FROM bob = %v", got)
	}
	search, err = c.UIDSearch(&imap.SearchCriteria{
		Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Flag: []imap.Flag{imap.FlagSeen}, Larger: 10,
		Or:  [][2]imap.SearchCriteria{{{Body: []string{"Appended"}}, {Text: []string{"nothing-like-this"}}}},
		Not: []imap.SearchCriteria{{Flag: []imap.Flag{imap.FlagDeleted}}},
	}, nil).Wait()
	must(t, "UID SEARCH", err)
	if got := search.AllUIDs(); len(got) != 1 || got[0] != 4 {
		t.Errorf("UID SEARCH = %v", got)
	}
	stored, err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged, "$Urgent"}}, nil).Collect()
	must(t, "STORE", err)
	if len(stored) != 1 || !containsFlag(stored[0].Flags, "$Urgent") {
		t.Errorf("STORE = %+v", stored)
	}
	// The UID forms: a UIDSet makes go-imap send UID FETCH, UID STORE.
	byUID, err := c.Fetch(imap.UIDSetNum(4), &imap.FetchOptions{Flags: true, RFC822Size: true}).Collect()
	must(t, "UID FETCH", err)
	if len(byUID) != 1 || byUID[0].UID != 4 || byUID[0].RFC822Size != int64(len(msg)) {
		t.Errorf("UID FETCH = %+v", byUID)
	}
	_, err = c.Store(imap.UIDSetNum(4), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{"$Label1"}}, nil).Collect()
	must(t, "UID STORE", err)
	copied, err := c.Copy(imap.SeqSetNum(2), "Archive").Wait()
	must(t, "COPY", err)
	if copied.DestUIDs.String() != "1" {
		t.Errorf("COPYUID = %+v", copied)
	}
	moved, err := c.Move(imap.UIDSetNum(3), "Archive").Wait()
	must(t, "MOVE", err)
	if moved.DestUIDs.String() != "2" {
		t.Errorf("MOVE = %+v", moved)
	}
	if seq := <-expunged; seq != 3 {
		t.Errorf("MOVE expunged %d, want 3", seq)
	}
	_, err = c.Store(imap.SeqSetNum(1, 2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Collect()
	must(t, "STORE.SILENT", err)
	gone, err := c.UIDExpunge(imap.UIDSetNum(1)).Collect()
	must(t, "UID EXPUNGE", err)
	gone2, err := c.Expunge().Collect()
	must(t, "EXPUNGE", err)
	if len(gone) != 1 || len(gone2) != 1 {
		t.Errorf("EXPUNGE: %v then %v", gone, gone2)
	}

	// IDLE hears a delivery.
	idle, err := c.Idle()
	must(t, "IDLE", err)
	must(t, "deliver", ts.store.Deliver([]string{"alice"}, []byte("Subject: during idle\r\n\r\nx\r\n")))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(wire.String(), "* 2 EXISTS") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	must(t, "IDLE close", idle.Close())
	must(t, "IDLE", idle.Wait())
	if !strings.Contains(wire.String(), "* 2 EXISTS") {
		t.Errorf("IDLE did not report the delivery")
	}

	// Extensions the server does not offer: a NO that says so.
	_, err = c.Sort(&imapclient.SortOptions{SearchCriteria: &imap.SearchCriteria{}, SortCriteria: []imapclient.SortCriterion{{Key: imapclient.SortKeyDate}}}).Wait()
	wantNO(t, "SORT", err)
	_, err = c.Thread(&imapclient.ThreadOptions{Algorithm: imap.ThreadOrderedSubject, SearchCriteria: &imap.SearchCriteria{}}).Wait()
	wantNO(t, "THREAD", err)
	_, err = c.UIDSort(&imapclient.SortOptions{SearchCriteria: &imap.SearchCriteria{}, SortCriteria: []imapclient.SortCriterion{{Key: imapclient.SortKeyArrival}}}).Wait()
	wantNO(t, "UID SORT", err)
	_, err = c.UIDThread(&imapclient.ThreadOptions{Algorithm: imap.ThreadReferences, SearchCriteria: &imap.SearchCriteria{}}).Wait()
	wantNO(t, "UID THREAD", err)
	_, err = c.MyRights("INBOX").Wait()
	wantNO(t, "MYRIGHTS", err)
	_, err = c.GetACL("INBOX").Wait()
	wantNO(t, "GETACL", err)
	wantNO(t, "SETACL", c.SetACL("INBOX", "bob", imap.RightModificationAdd, imap.RightSet("r")).Wait())
	_, err = c.GetQuotaRoot("INBOX").Wait()
	wantNO(t, "GETQUOTAROOT", err)
	_, err = c.GetQuota("").Wait()
	wantNO(t, "GETQUOTA", err)
	wantNO(t, "SETQUOTA", c.SetQuota("", map[imap.QuotaResourceType]int64{imap.QuotaResourceStorage: 1}).Wait())
	_, err = c.GetMetadata("INBOX", []string{"/private/comment"}, nil).Wait()
	wantNO(t, "GETMETADATA", err)
	v := []byte("x")
	wantNO(t, "SETMETADATA", c.SetMetadata("INBOX", map[string]*[]byte{"/private/comment": &v}).Wait())

	must(t, "UNSELECT", c.Unselect().Wait())
	_, err = c.Select("Archive", nil).Wait()
	must(t, "SELECT Archive", err)
	must(t, "CLOSE", c.UnselectAndExpunge().Wait())
	must(t, "UNAUTHENTICATE", c.Unauthenticate().Wait())
	must(t, "LOGIN", c.Login("bob", "bob-pw").Wait())
	must(t, "LOGOUT", c.Logout().Wait())
}

// TestGoIMAPStartTLS logs in over STARTTLS, as go-imap's DialStartTLS does.
func TestGoIMAPStartTLS(t *testing.T) {
	ts := newTestServer(t, serverOptions{tls: true, secureOnly: true})
	c, err := imapclient.DialStartTLS(ts.addr, &imapclient.Options{TLSConfig: ts.bundle.ClientConfig("localhost")})
	if err != nil {
		t.Fatalf("DialStartTLS: %v", err)
	}
	defer c.Close()
	must(t, "LOGIN", c.Login("alice", "alice-pw").Wait())
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	must(t, "EXAMINE", err)
	if sel.NumMessages != 3 {
		t.Errorf("EXAMINE = %+v", sel)
	}
	must(t, "LOGOUT", c.Logout().Wait())
}

func listNames(list []*imap.ListData) string {
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	return strings.Join(names, " ")
}

func containsFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, g := range flags {
		if strings.EqualFold(string(g), string(f)) {
			return true
		}
	}
	return false
}
