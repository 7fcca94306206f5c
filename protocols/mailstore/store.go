// Package mailstore is the one mail store shared by the embedded SMTP, POP3
// and IMAP servers: a message accepted by SMTP is at once in the recipient's
// POP3 maildrop and IMAP INBOX.
//
// The store is in memory and deterministic: UIDVALIDITY counts mailbox
// creations from a fixed base, UIDs are sequential and time comes from a
// Clock that a lab run can make fixed, so the same lab gives the same
// transcript on every run. A store made by Open also keeps its mail in a
// directory of Maildirs (maildir.go), across restarts.
package mailstore

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Errors returned by the store. Servers map them to their protocol's replies.
var (
	ErrNoSuchUser    = errors.New("mailstore: no such user")
	ErrNoSuchMailbox = errors.New("mailstore: no such mailbox")
	ErrMailboxExists = errors.New("mailstore: mailbox already exists")
	ErrInboxSpecial  = errors.New("mailstore: INBOX cannot be deleted or renamed away")
	ErrTooBig        = errors.New("mailstore: message too big")
)

// DefaultUIDValidity is the UIDVALIDITY of the first mailbox created by a
// store whose Config leaves it zero (the first user's INBOX). Each later
// creation gets the next number, so a mailbox deleted and created again
// never reuses a UIDVALIDITY (RFC 3501 2.3.1.1), and the numbers are the
// same on every run.
const DefaultUIDValidity = 1700000000

// Clock supplies time to the store and to the servers. A lab run uses a
// StepClock so that dates in transcripts are the same on every run.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real time.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// StepClock starts at Start and advances by Step on every call to Now, so
// that each event gets a distinct, reproducible time.
type StepClock struct {
	mu    sync.Mutex
	Start time.Time
	Step  time.Duration
	n     int64
}

// NewStepClock returns the clock used for labs: 2026-01-05 09:00:00 UTC,
// one second per event.
func NewStepClock() *StepClock {
	return &StepClock{Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), Step: time.Second}
}

// Now returns the next instant.
func (c *StepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.Start.Add(time.Duration(c.n) * c.Step)
	c.n++
	return t
}

// User is one account of the store.
type User struct {
	Name     string
	Password string
}

// Config configures a Store.
type Config struct {
	Domain      string // mail domain of the local users, e.g. "example.com"
	Users       []User // accounts; DefaultUsers when empty
	Clock       Clock  // SystemClock when nil
	UIDValidity uint32 // UIDVALIDITY of the first mailbox; DefaultUIDValidity when zero
	MaxMessage  int    // largest message in bytes; 10 MiB when zero
}

// DefaultUsers are the accounts of a lab server with no configured users.
var DefaultUsers = []User{{Name: "alice", Password: "alice-pw"}, {Name: "bob", Password: "bob-pw"}}

// DefaultDomain is the mail domain of a lab server with none configured.
const DefaultDomain = "example.com"

// Message is one stored message. Servers receive copies: changing a copy's
// fields or flags changes nothing in the store. Data is shared, read-only
// (the store never changes a message's bytes), so snapshots stay cheap.
type Message struct {
	UID          uint32
	Flags        []string // sorted, e.g. `\Seen`
	InternalDate time.Time
	Data         []byte // the message as RFC 5322 text with CRLF line ends
}

// Size is the message size in octets.
func (m Message) Size() int { return len(m.Data) }

// HasFlag reports whether the message carries flag (case-insensitive).
func (m Message) HasFlag(flag string) bool {
	for _, f := range m.Flags {
		if strings.EqualFold(f, flag) {
			return true
		}
	}
	return false
}

type mailbox struct {
	name        string
	uidValidity uint32
	uidNext     uint32
	subscribed  bool
	messages    []*Message
	// keywords are the keywords ever used in the mailbox, in order of
	// first use: IMAP announces them in FLAGS and PERMANENTFLAGS.
	keywords []string
}

type account struct {
	User
	mailboxes map[string]*mailbox // key: canonical name (INBOX upper-cased)
}

// Store is safe for concurrent use by all servers.
type Store struct {
	mu          sync.Mutex
	domain      string
	clock       Clock
	uidValidity uint32
	created     uint32 // mailboxes created so far: the next UIDVALIDITY's offset
	maxMessage  int
	accounts    map[string]*account
	watchers    map[string]map[int]chan struct{} // user/mailbox -> id -> signal
	nextWatch   int
	disk        *maildir // nil: in memory only (see Open)
}

// New returns a store with an INBOX for every user.
func New(cfg Config) *Store {
	s := &Store{
		domain:      cfg.Domain,
		clock:       cfg.Clock,
		uidValidity: cfg.UIDValidity,
		maxMessage:  cfg.MaxMessage,
		accounts:    map[string]*account{},
		watchers:    map[string]map[int]chan struct{}{},
	}
	if s.domain == "" {
		s.domain = DefaultDomain
	}
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	if s.uidValidity == 0 {
		s.uidValidity = DefaultUIDValidity
	}
	if s.maxMessage == 0 {
		s.maxMessage = 10 << 20
	}
	users := cfg.Users
	if len(users) == 0 {
		users = DefaultUsers
	}
	for _, u := range users {
		a := &account{User: u, mailboxes: map[string]*mailbox{}}
		a.mailboxes["INBOX"] = s.newMailbox("INBOX")
		s.accounts[strings.ToLower(u.Name)] = a
	}
	return s
}

// newMailbox starts unsubscribed, INBOX included: like Dovecot, nothing is
// subscribed until a client says SUBSCRIBE, so LSUB starts empty.
func (s *Store) newMailbox(name string) *mailbox {
	mb := &mailbox{name: name, uidValidity: s.uidValidity + s.created, uidNext: 1}
	s.created++
	return mb
}

// Domain is the store's mail domain.
func (s *Store) Domain() string { return s.domain }

// Clock is the store's clock; servers use it for dates they print.
func (s *Store) Clock() Clock { return s.clock }

// MaxMessage is the largest message the store accepts, in bytes.
func (s *Store) MaxMessage() int { return s.maxMessage }

// canonicalUser maps "alice" or "alice@example.com" to the account key.
func (s *Store) canonicalUser(name string) (string, bool) {
	name = strings.ToLower(name)
	if local, domain, ok := strings.Cut(name, "@"); ok {
		if domain != strings.ToLower(s.domain) {
			return "", false
		}
		name = local
	}
	_, ok := s.accounts[name]
	return name, ok
}

// Authenticate reports whether user (with or without @domain) has password.
// It returns the canonical user name to use with the other methods.
func (s *Store) Authenticate(user, password string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := s.canonicalUser(user)
	if !ok || s.accounts[key].Password != password {
		return "", false
	}
	return key, true
}

// LocalUser reports whether address (a bare "user@domain", no angle
// brackets) is a local mailbox, and returns the canonical user name.
func (s *Store) LocalUser(address string) (string, bool) {
	if !strings.Contains(address, "@") {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.canonicalUser(address)
}

// Deliver stores data in the INBOX of each user (canonical names) with the
// \Recent flag, and wakes IDLE watchers. Messages larger than MaxMessage are
// refused with ErrTooBig.
func (s *Store) Deliver(users []string, data []byte) error {
	if len(data) > s.maxMessage {
		return ErrTooBig
	}
	for _, u := range users { // accounts never change after New
		if _, ok := s.accounts[u]; !ok {
			return fmt.Errorf("%w: %s", ErrNoSuchUser, u)
		}
	}
	staged, err := s.stage(users, data)
	if err != nil {
		return err
	}
	defer staged.discard()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	var errs []error
	for i, u := range users {
		mb := s.accounts[u].mailboxes["INBOX"]
		s.appendLocked(mb, []string{`\Recent`}, now, data)
		staged.claim(i, mb.messages[len(mb.messages)-1])
		errs = append(errs, s.syncLocked(u, "INBOX"))
		s.notifyLocked(u, "INBOX")
	}
	return errors.Join(errs...)
}

func (s *Store) appendLocked(mb *mailbox, flags []string, date time.Time, data []byte) uint32 {
	m := &Message{UID: mb.uidNext, Flags: normalizeFlags(flags), InternalDate: date, Data: slices.Clone(data)}
	mb.uidNext++
	mb.messages = append(mb.messages, m)
	mb.noteKeywords(m.Flags)
	return m.UID
}

// noteKeywords remembers keywords (flags without a backslash) not seen
// before in the mailbox.
func (mb *mailbox) noteKeywords(flags []string) {
	for _, f := range flags {
		if !strings.HasPrefix(f, `\`) && !slices.ContainsFunc(mb.keywords, func(k string) bool { return strings.EqualFold(k, f) }) {
			mb.keywords = append(mb.keywords, f)
		}
	}
}

func normalizeFlags(flags []string) []string {
	out := []string{}
	for _, f := range flags {
		if f == "" || slices.ContainsFunc(out, func(g string) bool { return strings.EqualFold(f, g) }) {
			continue
		}
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func (s *Store) mailboxLocked(user, name string) (*mailbox, error) {
	a, ok := s.accounts[user]
	if !ok {
		return nil, ErrNoSuchUser
	}
	mb, ok := a.mailboxes[canonicalMailbox(name)]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchMailbox, name)
	}
	return mb, nil
}

// canonicalMailbox upper-cases INBOX (case-insensitive by RFC 3501) and
// leaves every other name as written.
func canonicalMailbox(name string) string {
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	return name
}

// MailboxInfo describes a mailbox for LIST and STATUS.
type MailboxInfo struct {
	Name        string
	Subscribed  bool
	Messages    int
	Recent      int
	Unseen      int
	UIDNext     uint32
	UIDValidity uint32
	Keywords    []string // keywords used in the mailbox, in order of first use
}

// Mailboxes lists the user's mailboxes, INBOX first, then by name.
func (s *Store) Mailboxes(user string) ([]MailboxInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[user]
	if !ok {
		return nil, ErrNoSuchUser
	}
	var out []MailboxInfo
	for _, mb := range a.mailboxes {
		out = append(out, infoLocked(mb))
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Name == "INBOX") != (out[j].Name == "INBOX") {
			return out[i].Name == "INBOX"
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func infoLocked(mb *mailbox) MailboxInfo {
	info := MailboxInfo{Name: mb.name, Subscribed: mb.subscribed, Messages: len(mb.messages), UIDNext: mb.uidNext, UIDValidity: mb.uidValidity, Keywords: slices.Clone(mb.keywords)}
	for _, m := range mb.messages {
		if m.HasFlag(`\Recent`) {
			info.Recent++
		}
		if !m.HasFlag(`\Seen`) {
			info.Unseen++
		}
	}
	return info
}

// Status describes one mailbox.
func (s *Store) Status(user, name string) (MailboxInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, err := s.mailboxLocked(user, name)
	if err != nil {
		return MailboxInfo{}, err
	}
	return infoLocked(mb), nil
}

// CreateMailbox makes an empty mailbox.
func (s *Store) CreateMailbox(user, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[user]
	if !ok {
		return ErrNoSuchUser
	}
	key := canonicalMailbox(name)
	if _, ok := a.mailboxes[key]; ok {
		return ErrMailboxExists
	}
	a.mailboxes[key] = s.newMailbox(key)
	return s.syncAccountLocked(user)
}

// DeleteMailbox removes a mailbox and its messages. INBOX cannot be deleted.
func (s *Store) DeleteMailbox(user, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := canonicalMailbox(name)
	if key == "INBOX" {
		return ErrInboxSpecial
	}
	if _, err := s.mailboxLocked(user, key); err != nil {
		return err
	}
	delete(s.accounts[user].mailboxes, key)
	return s.syncAccountLocked(user)
}

// RenameMailbox renames a mailbox. Renaming INBOX moves its messages to the
// new mailbox and leaves INBOX empty, as RFC 3501 says.
func (s *Store) RenameMailbox(user, from, to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	src, err := s.mailboxLocked(user, from)
	if err != nil {
		return err
	}
	a := s.accounts[user]
	toKey := canonicalMailbox(to)
	if toKey == "INBOX" {
		return ErrInboxSpecial
	}
	if _, ok := a.mailboxes[toKey]; ok {
		return ErrMailboxExists
	}
	if src.name == "INBOX" {
		dst := s.newMailbox(toKey)
		dst.messages, dst.uidNext, dst.keywords = src.messages, src.uidNext, src.keywords
		src.messages, src.keywords = nil, nil
		a.mailboxes[toKey] = dst
		return s.syncAccountLocked(user)
	}
	// Inferior names move along (RFC 3501 6.3.5): "Work" to "Old" takes
	// "Work/2026" to "Old/2026".
	oldName := src.name
	prefix := oldName + HierarchyDelimiter
	moved := []*mailbox{src}
	for key, mb := range a.mailboxes {
		if strings.HasPrefix(key, prefix) {
			moved = append(moved, mb)
		}
	}
	for _, mb := range moved {
		newName := toKey + strings.TrimPrefix(mb.name, oldName)
		if other, ok := a.mailboxes[newName]; ok && !slices.Contains(moved, other) {
			return ErrMailboxExists
		}
	}
	for _, mb := range moved {
		delete(a.mailboxes, mb.name)
	}
	for _, mb := range moved {
		mb.name = toKey + strings.TrimPrefix(mb.name, oldName)
		a.mailboxes[mb.name] = mb
	}
	return s.syncAccountLocked(user)
}

// HierarchyDelimiter separates the levels of mailbox names ("Work/2026").
const HierarchyDelimiter = "/"

// SetSubscribed marks a mailbox subscribed or not (IMAP SUBSCRIBE, LSUB).
func (s *Store) SetSubscribed(user, name string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, err := s.mailboxLocked(user, name)
	if err != nil {
		return err
	}
	mb.subscribed = on
	return s.syncMailboxLocked(user, mb)
}

// Append adds a message to a mailbox with the \Recent flag (RFC 3501
// 6.3.11) and returns its UID. A zero date means the store's clock.
func (s *Store) Append(user, name string, flags []string, date time.Time, data []byte) (uint32, error) {
	if len(data) > s.maxMessage {
		return 0, ErrTooBig
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, err := s.mailboxLocked(user, name)
	if err != nil {
		return 0, err
	}
	if date.IsZero() {
		date = s.clock.Now()
	}
	uid := s.appendLocked(mb, append(slices.Clone(flags), `\Recent`), date, data)
	s.notifyLocked(user, mb.name)
	return uid, s.syncMailboxLocked(user, mb)
}

// Messages returns copies of a mailbox's messages in UID order.
func (s *Store) Messages(user, name string) ([]Message, MailboxInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, err := s.mailboxLocked(user, name)
	if err != nil {
		return nil, MailboxInfo{}, err
	}
	out := make([]Message, len(mb.messages))
	for i, m := range mb.messages {
		out[i] = *m
		out[i].Flags = slices.Clone(m.Flags)
	}
	return out, infoLocked(mb), nil
}

// FlagOp says how UpdateFlags combines the given flags with the present ones.
type FlagOp int

// Flag operations, as IMAP STORE FLAGS, +FLAGS and -FLAGS.
const (
	ReplaceFlags FlagOp = iota
	AddFlags
	RemoveFlags
)

// UpdateFlags changes the flags of the messages with the given UIDs and
// returns their new flags by UID. \Recent is never changed by a client.
func (s *Store) UpdateFlags(user, name string, uids []uint32, op FlagOp, flags []string) (map[uint32][]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, err := s.mailboxLocked(user, name)
	if err != nil {
		return nil, err
	}
	flags = slices.DeleteFunc(slices.Clone(flags), func(f string) bool { return strings.EqualFold(f, `\Recent`) })
	out := map[uint32][]string{}
	for _, m := range mb.messages {
		if !slices.Contains(uids, m.UID) {
			continue
		}
		recent := m.HasFlag(`\Recent`)
		var next []string
		switch op {
		case ReplaceFlags:
			next = slices.Clone(flags)
		case AddFlags:
			next = append(slices.Clone(m.Flags), flags...)
		case RemoveFlags:
			next = slices.DeleteFunc(slices.Clone(m.Flags), func(f string) bool {
				return slices.ContainsFunc(flags, func(g string) bool { return strings.EqualFold(f, g) })
			})
		}
		next = slices.DeleteFunc(next, func(f string) bool { return strings.EqualFold(f, `\Recent`) })
		if recent {
			next = append(next, `\Recent`)
		}
		m.Flags = normalizeFlags(next)
		mb.noteKeywords(m.Flags)
		out[m.UID] = slices.Clone(m.Flags)
	}
	if len(out) > 0 {
		s.notifyLocked(user, mb.name) // IMAP IDLE reports flag changes too
	}
	return out, s.syncMailboxLocked(user, mb)
}

// ClearRecent removes \Recent from the messages of a mailbox with a UID up
// to through: the first session to see a message takes it as recent for
// itself. A message that arrived after that session looked keeps its
// \Recent for the next one to look.
func (s *Store) ClearRecent(user, name string, through uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, err := s.mailboxLocked(user, name)
	if err != nil {
		return err
	}
	for _, m := range mb.messages {
		if m.UID <= through {
			m.Flags = slices.DeleteFunc(m.Flags, func(f string) bool { return f == `\Recent` })
		}
	}
	return s.syncMailboxLocked(user, mb)
}

// Expunge removes the given UIDs (all \Deleted messages when uids is nil)
// and returns the removed UIDs in ascending order.
func (s *Store) Expunge(user, name string, uids []uint32) ([]uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, err := s.mailboxLocked(user, name)
	if err != nil {
		return nil, err
	}
	var removed []uint32
	mb.messages = slices.DeleteFunc(mb.messages, func(m *Message) bool {
		gone := (uids == nil && m.HasFlag(`\Deleted`)) || (uids != nil && slices.Contains(uids, m.UID))
		if gone {
			removed = append(removed, m.UID)
		}
		return gone
	})
	if len(removed) > 0 {
		s.notifyLocked(user, mb.name)
	}
	return removed, s.syncMailboxLocked(user, mb)
}

// Copy copies messages (by UID) to another mailbox and returns the new UIDs
// in the same order.
func (s *Store) Copy(user, from string, uids []uint32, to string) ([]uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	src, err := s.mailboxLocked(user, from)
	if err != nil {
		return nil, err
	}
	dst, err := s.mailboxLocked(user, to)
	if err != nil {
		return nil, err
	}
	var out []uint32
	for _, m := range src.messages {
		if slices.Contains(uids, m.UID) {
			flags := append(slices.DeleteFunc(slices.Clone(m.Flags), func(f string) bool { return f == `\Recent` }), `\Recent`)
			out = append(out, s.appendLocked(dst, flags, m.InternalDate, m.Data))
		}
	}
	if len(out) > 0 {
		s.notifyLocked(user, dst.name)
	}
	return out, s.syncMailboxLocked(user, dst)
}

// Watch returns a channel that receives a signal (coalesced) whenever the
// mailbox changes, and a function to stop watching. IMAP IDLE uses it.
func (s *Store) Watch(user, name string) (<-chan struct{}, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := user + "\x00" + canonicalMailbox(name)
	if s.watchers[key] == nil {
		s.watchers[key] = map[int]chan struct{}{}
	}
	id := s.nextWatch
	s.nextWatch++
	ch := make(chan struct{}, 1)
	s.watchers[key][id] = ch
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.watchers[key], id)
	}
}

func (s *Store) notifyLocked(user, name string) {
	for _, ch := range s.watchers[user+"\x00"+name] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
