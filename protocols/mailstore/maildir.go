package mailstore

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// A store opened on a directory keeps every mailbox as a Maildir++ folder
// (INBOX in DIR/USER, "Sent" in DIR/USER/.Sent, "Projects/2026" in
// DIR/USER/.Projects.2026), so mutt, Dovecot or a shell can read the mail.
// A message is written to tmp/ and renamed into new/ (while \Recent) or
// cur/ (with the standard flags in its ":2," suffix), so no reader ever sees
// half a message. What Maildir cannot hold (UIDs, UIDVALIDITY, keywords,
// internal dates, subscriptions) is in each folder's wirebook-index,
// rewritten through a temporary file and a rename after every change.
//
// The store writes through: every change is on disk before the server
// answers, under the store's lock, so the disk follows the same order.

const (
	storeMarker = "wirebook-store" // in DIR: this directory is a wirebook store
	indexFile   = "wirebook-index"
	indexMagic  = "wirebook-maildir 1"
)

// ErrNotAStore is returned by Open for a directory that holds other files.
var ErrNotAStore = errors.New("mailstore: not a wirebook mail store")

type maildir struct {
	root    string
	seq     atomic.Uint64
	folders map[string]map[*mailbox]*diskFolder // user -> what is on disk
	staged  map[*Message]string                 // delivered, file waiting in the INBOX's tmp/
	created uint32                              // the store's creation counter as last written
	closed  bool
}

// diskFolder is what the store last wrote of one mailbox.
type diskFolder struct {
	made  bool              // tmp/, new/ and cur/ exist
	dir   string            // absolute
	files map[uint32]string // UID -> path relative to dir: new/BASE or cur/BASE:2,FLAGS
	index string            // the index as last written
}

// Open returns a store kept in dir: the mail of cfg.Users found there is
// loaded, and every later change is written there. dir is created if
// missing; an existing directory must be empty or a store made by Open.
func Open(dir string, cfg Config) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := claimStoreDir(abs); err != nil {
		return nil, err
	}
	if err := lockDir(abs); err != nil {
		return nil, err
	}
	s, err := openLocked(abs, cfg)
	if err != nil {
		os.Remove(filepath.Join(abs, lockFile))
	}
	return s, err
}

func openLocked(abs string, cfg Config) (*Store, error) {
	s := New(cfg)
	s.disk = &maildir{root: abs, folders: map[string]map[*mailbox]*diskFolder{}, staged: map[*Message]string{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	// UIDVALIDITY goes on from the last run, past every mailbox ever made
	// (a deleted one included), so a mailbox made again never reuses one.
	created, err := readCreated(filepath.Join(abs, storeMarker))
	if err != nil {
		return nil, err
	}
	for _, user := range sortedKeys(s.accounts) {
		if err := s.loadAccountLocked(user); err != nil {
			return nil, err
		}
		for _, mb := range s.accounts[user].mailboxes {
			created = max(created, mb.uidValidity-s.uidValidity+1)
		}
	}
	s.created = max(s.created, created)
	return s, s.writeMarkerLocked()
}

const markerText = "wirebook mail store: one Maildir++ per user; see docs/configuration.md\n"

// readCreated reads the creation counter kept in the store's marker file.
func readCreated(path string) (uint32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "created "); ok {
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return 0, fmt.Errorf("%s: bad line %q", path, line)
			}
			return uint32(n), nil
		}
	}
	return 0, nil
}

func (s *Store) writeMarkerLocked() error {
	if s.disk.created == s.created && s.disk.created != 0 {
		return nil
	}
	if err := writeAtomic(filepath.Join(s.disk.root, storeMarker), fmt.Appendf(nil, "%screated %d\n", markerText, s.created)); err != nil {
		return storageError(err)
	}
	s.disk.created = s.created
	return nil
}

// claimStoreDir creates dir with its marker, or checks that it is a store.
func claimStoreDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	case err != nil:
		return err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, storeMarker)); err != nil {
			return fmt.Errorf("%w: %s holds other files and no %s; give a new or empty directory", ErrNotAStore, dir, storeMarker)
		}
		return nil
	}
	return writeAtomic(filepath.Join(dir, storeMarker), []byte(markerText))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// folderDir is the directory of a mailbox: '/' becomes Maildir++'s '.',
// and '.', '%' and bytes that a file name should not hold are %XX.
func folderDir(userDir, mailbox string) string {
	if mailbox == "INBOX" {
		return userDir
	}
	return filepath.Join(userDir, "."+encodeName(mailbox, true))
}

func encodeName(name string, hierarchy bool) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case hierarchy && c == '/':
			b.WriteByte('.')
		case c == '.' || c == '%' || c == '/' || c == '\\' || c == ':' || c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func decodeFolder(dirName string) (string, bool) {
	enc, ok := strings.CutPrefix(dirName, ".")
	if !ok || enc == "" {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(enc); i++ {
		switch c := enc[i]; {
		case c == '.':
			b.WriteByte('/')
		case c == '%' && i+2 < len(enc):
			n, err := strconv.ParseUint(enc[i+1:i+3], 16, 8)
			if err != nil {
				return "", false
			}
			b.WriteByte(byte(n))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

func (d *maildir) userDir(user string) string {
	return filepath.Join(d.root, encodeName(user, false))
}

// loadAccountLocked reads a user's folders from disk into the account,
// then writes back what it read, so that files another program dropped
// into new/ get their UIDs recorded.
func (s *Store) loadAccountLocked(user string) error {
	a := s.accounts[user]
	d := s.disk
	d.folders[user] = map[*mailbox]*diskFolder{}
	udir := d.userDir(user)
	names := []string{"INBOX"}
	entries, err := os.ReadDir(udir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if name, ok := decodeFolder(e.Name()); ok && e.IsDir() && name != "INBOX" {
			names = append(names, name)
		}
	}
	for _, name := range names {
		mb := a.mailboxes[name]
		if mb == nil {
			mb = s.newMailbox(name)
			a.mailboxes[name] = mb
		}
		df, err := s.loadFolder(folderDir(udir, name), mb)
		if err != nil {
			return fmt.Errorf("mailstore: loading %s of %s: %w", name, user, err)
		}
		d.folders[user][mb] = df
	}
	return s.syncAccountLocked(user)
}

// loadFolder fills mb from dir. The index gives UIDs, flags and dates; a
// message file it does not list gets the next UID, its flags from its
// name, and its file time as internal date.
func (s *Store) loadFolder(dir string, mb *mailbox) (*diskFolder, error) {
	df := &diskFolder{dir: dir, files: map[uint32]string{}}
	onDisk := map[string]string{} // BASE -> new/BASE or cur/BASE:2,...
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			base, _, _ := strings.Cut(e.Name(), ":")
			onDisk[base] = sub + "/" + e.Name()
		}
	}
	entries, err := readIndex(filepath.Join(dir, indexFile), mb)
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	for _, ie := range entries {
		rel, ok := onDisk[ie.base]
		if !ok {
			continue // deleted behind our back
		}
		listed[ie.base] = true
		m, err := readMessage(dir, rel, ie.uid, ie.flags, ie.date)
		if err != nil {
			return nil, err
		}
		mb.messages = append(mb.messages, m)
		df.files[m.UID] = rel
	}
	var extra []string
	for base := range onDisk {
		if !listed[base] {
			extra = append(extra, base)
		}
	}
	sort.Strings(extra) // Maildir names start with the delivery time
	for _, base := range extra {
		rel := onDisk[base]
		info, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			return nil, err
		}
		m, err := readMessage(dir, rel, mb.uidNext, flagsFromName(rel), info.ModTime())
		if err != nil {
			return nil, err
		}
		mb.uidNext++
		mb.messages = append(mb.messages, m)
		df.files[m.UID] = rel
	}
	sort.Slice(mb.messages, func(i, j int) bool { return mb.messages[i].UID < mb.messages[j].UID })
	return df, nil
}

type indexEntry struct {
	uid   uint32
	date  time.Time
	base  string
	flags []string
}

// readIndex reads a folder's index into mb's counters; a missing index
// is an empty one.
func readIndex(path string, mb *mailbox) ([]indexEntry, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	bad := func(n int, why string) error { return fmt.Errorf("%s:%d: %s", path, n, why) }
	var out []indexEntry
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		switch {
		case n == 1:
			if sc.Text() != indexMagic {
				return nil, bad(n, "not a wirebook index")
			}
		case len(fields) == 2 && fields[0] == "uidvalidity":
			v, err := strconv.ParseUint(fields[1], 10, 32)
			if err != nil || v == 0 {
				return nil, bad(n, "bad uidvalidity")
			}
			mb.uidValidity = uint32(v)
		case len(fields) == 2 && fields[0] == "uidnext":
			v, err := strconv.ParseUint(fields[1], 10, 32)
			if err != nil || v == 0 {
				return nil, bad(n, "bad uidnext")
			}
			mb.uidNext = uint32(v)
		case len(fields) == 2 && fields[0] == "subscribed":
			mb.subscribed = fields[1] == "1"
		case len(fields) >= 1 && fields[0] == "keywords":
			mb.keywords = nil
			mb.noteKeywords(fields[1:])
		case len(fields) >= 3:
			uid, err := strconv.ParseUint(fields[0], 10, 32)
			date, derr := time.Parse(time.RFC3339Nano, fields[1])
			if err != nil || uid == 0 || derr != nil {
				return nil, bad(n, "bad message line")
			}
			out = append(out, indexEntry{uid: uint32(uid), date: date, base: fields[2], flags: fields[3:]})
			mb.uidNext = max(mb.uidNext, uint32(uid)+1)
		case len(fields) == 0:
		default:
			return nil, bad(n, "unreadable line")
		}
	}
	return out, sc.Err()
}

func readMessage(dir, rel string, uid uint32, flags []string, date time.Time) (*Message, error) {
	data, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(rel, "cur/") {
		// Another program may have changed the standard flags by renaming.
		flags = append(keywordsOnly(flags), flagsFromName(rel)...)
	}
	return &Message{UID: uid, Flags: normalizeFlags(flags), InternalDate: date, Data: data}, nil
}

// The Maildir info letters of the IMAP system flags, in the order the
// specification wants them written (ASCII).
var maildirFlags = []struct {
	letter byte
	flag   string
}{{'D', `\Draft`}, {'F', `\Flagged`}, {'R', `\Answered`}, {'S', `\Seen`}, {'T', `\Deleted`}}

func flagsFromName(rel string) []string {
	if strings.HasPrefix(rel, "new/") {
		return []string{`\Recent`}
	}
	_, info, _ := strings.Cut(rel, ":2,")
	var out []string
	for _, mf := range maildirFlags {
		if strings.IndexByte(info, mf.letter) >= 0 {
			out = append(out, mf.flag)
		}
	}
	return out
}

// keywordsOnly drops the flags a Maildir file name carries.
func keywordsOnly(flags []string) []string {
	var out []string
	for _, f := range flags {
		if f == `\Recent` {
			continue
		}
		system := false
		for _, mf := range maildirFlags {
			system = system || strings.EqualFold(f, mf.flag)
		}
		if !system {
			out = append(out, f)
		}
	}
	return out
}

// fileFor is where a message with these flags lives: new/ while \Recent
// (no client has seen it), else cur/ with its info suffix.
func fileFor(base string, flags []string) string {
	for _, f := range flags {
		if f == `\Recent` {
			return "new/" + base
		}
	}
	info := ":2,"
	for _, mf := range maildirFlags {
		for _, f := range flags {
			if strings.EqualFold(f, mf.flag) {
				info += string(mf.letter)
				break
			}
		}
	}
	return "cur/" + base + info
}

func baseOf(rel string) string {
	base, _, _ := strings.Cut(filepath.Base(rel), ":")
	return base
}

// syncAccountLocked makes the disk hold the account's mailboxes: a folder
// renamed in the store is renamed on disk, a deleted one removed, every
// other one brought up to date by syncMailboxLocked.
func (s *Store) syncAccountLocked(user string) error {
	d := s.disk
	if d == nil {
		return nil
	}
	a := s.accounts[user]
	udir := d.userDir(user)
	folders := d.folders[user]
	current := map[*mailbox]bool{}
	for _, mb := range a.mailboxes {
		current[mb] = true
	}
	var errs []error
	for mb, df := range folders {
		if !current[mb] {
			if df.dir != udir { // INBOX's folder is the user's directory
				errs = append(errs, os.RemoveAll(df.dir))
			}
			delete(folders, mb)
		}
	}
	for _, name := range sortedKeys(a.mailboxes) {
		mb := a.mailboxes[name]
		if df, ok := folders[mb]; ok {
			if want := folderDir(udir, mb.name); df.dir != want {
				if err := os.Rename(df.dir, want); err != nil {
					errs = append(errs, err)
					continue
				}
				df.dir, df.made = want, false
			}
		}
		errs = append(errs, s.syncMailboxLocked(user, mb))
	}
	if err := errors.Join(errs...); err != nil {
		return storageError(err)
	}
	return s.writeMarkerLocked()
}

// syncMailboxLocked writes new messages, renames files whose flags
// changed, removes expunged ones and rewrites the index if it changed.
func (s *Store) syncMailboxLocked(user string, mb *mailbox) error {
	d := s.disk
	if d == nil {
		return nil
	}
	df := d.folders[user][mb]
	if df == nil {
		df = &diskFolder{dir: folderDir(d.userDir(user), mb.name), files: map[uint32]string{}}
		d.folders[user][mb] = df
		// A store made by DELETE and CREATE must not find the old files.
		if df.dir != d.userDir(user) {
			if err := os.RemoveAll(df.dir); err != nil {
				return storageError(err)
			}
		}
	}
	if !df.made {
		for _, sub := range []string{"tmp", "new", "cur"} {
			if err := os.MkdirAll(filepath.Join(df.dir, sub), 0o700); err != nil {
				return storageError(err)
			}
		}
		df.made = true
	}
	var idx strings.Builder
	fmt.Fprintf(&idx, "%s\nuidvalidity %d\nuidnext %d\nsubscribed %d\nkeywords", indexMagic, mb.uidValidity, mb.uidNext, boolDigit(mb.subscribed))
	for _, k := range mb.keywords {
		if !strings.ContainsAny(k, " \r\n") {
			fmt.Fprintf(&idx, " %s", k)
		}
	}
	idx.WriteByte('\n')
	present := map[uint32]bool{}
	for _, m := range mb.messages {
		present[m.UID] = true
		old, ok := df.files[m.UID]
		base, staged := "", false
		if ok {
			base = baseOf(old)
		} else if base, staged = d.staged[m]; !staged {
			base = d.uniqueName(len(m.Data))
		}
		want := fileFor(base, m.Flags)
		switch {
		case staged:
			if err := os.Rename(filepath.Join(df.dir, "tmp", base), filepath.Join(df.dir, want)); err != nil {
				return storageError(err)
			}
			delete(d.staged, m)
		case !ok:
			if err := writeMaildirFile(df.dir, base, want, m.Data); err != nil {
				return storageError(err)
			}
		case old != want:
			if err := os.Rename(filepath.Join(df.dir, old), filepath.Join(df.dir, want)); err != nil {
				return storageError(err)
			}
		}
		df.files[m.UID] = want
		fmt.Fprintf(&idx, "%d %s %s", m.UID, m.InternalDate.UTC().Format(time.RFC3339Nano), base)
		for _, f := range m.Flags {
			if !strings.ContainsAny(f, " \r\n") && f != "" {
				fmt.Fprintf(&idx, " %s", f)
			}
		}
		idx.WriteByte('\n')
	}
	for uid, rel := range df.files {
		if !present[uid] {
			if err := os.Remove(filepath.Join(df.dir, rel)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return storageError(err)
			}
			delete(df.files, uid)
		}
	}
	if idx.String() != df.index {
		// Not flushed: a crash may lose the last index change, never a
		// message; a message file the index misses gets a UID at the next
		// start, and flags are also in the file names.
		if err := writeRenamed(filepath.Join(df.dir, indexFile), []byte(idx.String()), false); err != nil {
			return storageError(err)
		}
		df.index = idx.String()
	}
	return nil
}

// syncLocked brings one mailbox (by canonical name) to disk.
func (s *Store) syncLocked(user, name string) error {
	if s.disk == nil {
		return nil
	}
	mb := s.accounts[user].mailboxes[canonicalMailbox(name)]
	if mb == nil {
		return nil
	}
	return s.syncMailboxLocked(user, mb)
}

func boolDigit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// uniqueName is a Maildir file name: delivery time, then what makes it
// unique on this host (process id and a counter), then the size.
func (d *maildir) uniqueName(size int) string {
	now := time.Now()
	return fmt.Sprintf("%d.M%dP%dQ%d.wirebook,S=%d", now.Unix(), now.Nanosecond()/1000, os.Getpid(), d.seq.Add(1), size)
}

// staging is a delivery's message files, written to each INBOX's tmp/ and
// flushed before the store's lock is taken: concurrent deliveries then
// wait for the disk side by side instead of one after the other. Under the
// lock a file is claimed by its message, and syncMailboxLocked renames it
// into new/.
type staging struct {
	d     *maildir
	paths []string // "" once claimed
	bases []string
}

// stage writes data once per user; nil for a store in memory.
func (s *Store) stage(users []string, data []byte) (*staging, error) {
	if s.disk == nil {
		return nil, nil
	}
	st := &staging{d: s.disk}
	for _, u := range users {
		dir := filepath.Join(s.disk.userDir(u), "tmp")
		base := s.disk.uniqueName(len(data))
		path := filepath.Join(dir, base)
		err := os.MkdirAll(dir, 0o700)
		if err == nil {
			err = writeFile(path, data, true)
		}
		if err != nil {
			st.discard()
			return nil, storageError(err)
		}
		st.paths, st.bases = append(st.paths, path), append(st.bases, base)
	}
	return st, nil
}

// claim gives the i-th file to m; called under the store's lock.
func (st *staging) claim(i int, m *Message) {
	if st != nil {
		st.d.staged[m] = st.bases[i]
		st.paths[i] = ""
	}
}

// discard removes the files no message claimed.
func (st *staging) discard() {
	if st == nil {
		return
	}
	for _, p := range st.paths {
		if p != "" {
			os.Remove(p)
		}
	}
}

// writeMaildirFile writes data to tmp/BASE, flushes it to the disk, and
// renames it to rel (new/BASE or cur/BASE:2,...): the Maildir delivery.
func writeMaildirFile(dir, base, rel string, data []byte) error {
	tmp := filepath.Join(dir, "tmp", base)
	if err := writeFile(tmp, data, true); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, rel)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeAtomic replaces path by data through a flushed temporary file
// beside it.
func writeAtomic(path string, data []byte) error { return writeRenamed(path, data, true) }

func writeRenamed(path string, data []byte, flush bool) error {
	tmp := fmt.Sprintf("%s.tmp%d", path, os.Getpid())
	if err := writeFile(tmp, data, flush); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func writeFile(path string, data []byte, flush bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && flush {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// ErrStorage wraps a failure to write the store's directory.
var ErrStorage = errors.New("mailstore: cannot write the mail store")

func storageError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %v", ErrStorage, err)
}
