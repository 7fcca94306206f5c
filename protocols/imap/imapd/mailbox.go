package imapd

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wirebook/wirebook/protocols/mailstore"
)

// mailboxArg reads a mailbox name argument. An empty name is a name (of
// no mailbox): commands answer NO for it, as Dovecot does.
func mailboxArg(a arg) (string, bool) {
	return a.astring()
}

// maxMailboxName bounds a mailbox name in bytes, like Dovecot's limit.
const maxMailboxName = 255

// invalidName says why a name cannot be given to a new mailbox, or "".
func invalidName(name string) string {
	switch {
	case name == "":
		return "Empty mailbox name."
	case len(name) > maxMailboxName:
		return fmt.Sprintf("Mailbox name longer than %d bytes.", maxMailboxName)
	case strings.ContainsAny(name, "*%"):
		return "Mailbox names may not contain the LIST wildcards * and %."
	case strings.HasPrefix(name, hierarchyDelimiter) || strings.Contains(name, hierarchyDelimiter+hierarchyDelimiter):
		return "Mailbox name has an empty level (" + hierarchyDelimiter + hierarchyDelimiter + ")."
	}
	for i := 0; i < len(name); i++ {
		if name[i] < ' ' || name[i] == 0x7f {
			return "Mailbox names may not contain control characters."
		}
	}
	return ""
}

func (s *session) cmdSelect(cmd command) result {
	usage := cmd.name + " mailbox"
	if r, ok := wantArgs(cmd, 1, usage); !ok {
		return r
	}
	name, ok := mailboxArg(cmd.args[0])
	if !ok {
		return tagBAD("Expected " + usage + ".")
	}
	// A failed SELECT leaves no mailbox selected (RFC 3501 6.3.1).
	s.sel, s.state = nil, stateAuth
	msgs, info, err := s.store.Messages(s.user, name)
	if err != nil {
		return tagNO("Mailbox doesn't exist: " + name)
	}
	sel := &selection{
		name:        info.Name,
		readOnly:    cmd.name == "EXAMINE",
		uidValidity: info.UIDValidity,
		flags:       map[uint32]string{},
		recent:      map[uint32]bool{},
		keywords:    info.Keywords,
	}
	firstUnseen := 0
	for i, m := range msgs {
		sel.uids = append(sel.uids, m.UID)
		sel.flags[m.UID] = flagKey(m.Flags)
		if m.HasFlag(`\Recent`) {
			sel.recent[m.UID] = true
		}
		if firstUnseen == 0 && !m.HasFlag(`\Seen`) {
			firstUnseen = i + 1
		}
	}
	if !sel.readOnly && len(sel.recent) > 0 {
		s.store.ClearRecent(s.user, sel.name, sel.uids[len(sel.uids)-1])
	}
	s.sel = sel
	s.writeFlags()
	s.sel = nil
	s.untagged(fmt.Sprintf("%d EXISTS", len(sel.uids)))
	s.untagged(fmt.Sprintf("%d RECENT", len(sel.recent)))
	if firstUnseen > 0 {
		s.untagged(fmt.Sprintf("OK [UNSEEN %d] First unseen.", firstUnseen))
	}
	s.untagged(fmt.Sprintf("OK [UIDVALIDITY %d] UIDs valid", info.UIDValidity))
	s.untagged(fmt.Sprintf("OK [UIDNEXT %d] Predicted next UID", info.UIDNext))
	s.sel, s.state = sel, stateSelected
	if sel.readOnly {
		return tagOK("[READ-ONLY] Examine completed.")
	}
	return tagOK("[READ-WRITE] Select completed.")
}

func (s *session) cmdCreate(cmd command) result {
	if r, ok := wantArgs(cmd, 1, "CREATE mailbox"); !ok {
		return r
	}
	name, ok := mailboxArg(cmd.args[0])
	if !ok {
		return tagBAD("Expected CREATE mailbox.")
	}
	// "Work/" announces that Work will hold other mailboxes (RFC 3501
	// 6.3.3); it is still the mailbox Work.
	name = strings.TrimSuffix(name, hierarchyDelimiter)
	if why := invalidName(name); why != "" {
		return tagNO("[CANNOT] Invalid mailbox name: " + why)
	}
	switch err := s.store.CreateMailbox(s.user, name); {
	case errors.Is(err, mailstore.ErrMailboxExists):
		return tagNO("Mailbox already exists: " + name)
	case err != nil:
		return tagNO("Can't create mailbox " + name + ".")
	}
	return tagOK("Create completed.")
}

func (s *session) cmdDelete(cmd command) result {
	if r, ok := wantArgs(cmd, 1, "DELETE mailbox"); !ok {
		return r
	}
	name, ok := mailboxArg(cmd.args[0])
	if !ok {
		return tagBAD("Expected DELETE mailbox.")
	}
	if s.sel != nil && canonicalName(name) == s.sel.name {
		return tagNO("Can't delete the selected mailbox; CLOSE it first.")
	}
	switch err := s.store.DeleteMailbox(s.user, name); {
	case errors.Is(err, mailstore.ErrInboxSpecial):
		return tagNO("INBOX can't be deleted.")
	case errors.Is(err, mailstore.ErrNoSuchMailbox):
		return tagNO("Mailbox doesn't exist: " + name)
	case err != nil:
		return tagNO("Can't delete mailbox " + name + ".")
	}
	return tagOK("Delete completed.")
}

func (s *session) cmdRename(cmd command) result {
	if r, ok := wantArgs(cmd, 2, "RENAME from to"); !ok {
		return r
	}
	from, ok1 := mailboxArg(cmd.args[0])
	to, ok2 := mailboxArg(cmd.args[1])
	if !ok1 || !ok2 {
		return tagBAD("Expected RENAME from to.")
	}
	to = strings.TrimSuffix(to, hierarchyDelimiter)
	if why := invalidName(to); why != "" {
		return tagNO("[CANNOT] Invalid mailbox name: " + why)
	}
	switch err := s.store.RenameMailbox(s.user, from, to); {
	case errors.Is(err, mailstore.ErrNoSuchMailbox):
		return tagNO("Mailbox doesn't exist: " + from)
	case errors.Is(err, mailstore.ErrMailboxExists):
		return tagNO("Mailbox already exists: " + to)
	case errors.Is(err, mailstore.ErrInboxSpecial):
		return tagNO("Can't rename to INBOX.")
	case err != nil:
		return tagNO("Can't rename mailbox " + from + ".")
	}
	if s.sel != nil && s.sel.name != "INBOX" {
		// The store renamed the mailbox we have open, or one above it.
		if from = canonicalName(from); s.sel.name == from {
			s.sel.name = to
		} else if rest, ok := strings.CutPrefix(s.sel.name, from+hierarchyDelimiter); ok {
			s.sel.name = to + hierarchyDelimiter + rest
		}
	}
	return tagOK("Rename completed.")
}

// canonicalName upper-cases INBOX, which is case-insensitive.
func canonicalName(name string) string {
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	return name
}

func (s *session) cmdSubscribe(cmd command) result {
	usage := cmd.name + " mailbox"
	if r, ok := wantArgs(cmd, 1, usage); !ok {
		return r
	}
	name, ok := mailboxArg(cmd.args[0])
	if !ok {
		return tagBAD("Expected " + usage + ".")
	}
	if err := s.store.SetSubscribed(s.user, name, cmd.name == "SUBSCRIBE"); err != nil {
		return tagNO("Mailbox doesn't exist: " + name)
	}
	if cmd.name == "SUBSCRIBE" {
		return tagOK("Subscribe completed.")
	}
	return tagOK("Unsubscribe completed.")
}

func (s *session) cmdStatus(cmd command) result {
	usage := "STATUS mailbox (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)"
	if r, ok := wantArgs(cmd, 2, usage); !ok {
		return r
	}
	name, ok := mailboxArg(cmd.args[0])
	if !ok || cmd.args[1].kind != argList || len(cmd.args[1].list) == 0 {
		return tagBAD("Expected " + usage + ".")
	}
	if _, err := statusItems(mailstore.MailboxInfo{}, cmd.args[1].list); err != nil {
		return tagBAD(err.Error())
	}
	info, err := s.store.Status(s.user, name)
	if err != nil {
		return tagNO("Mailbox doesn't exist: " + name)
	}
	s.writeStatus(info, cmd.args[1].list)
	return tagOK("Status completed.")
}

// writeStatus writes "* STATUS name (items)"; the items must have passed
// statusItems already.
func (s *session) writeStatus(info mailstore.MailboxInfo, items []arg) {
	text, _ := statusItems(info, items)
	var line bytes.Buffer
	line.WriteString("STATUS ")
	writeAString(&line, info.Name)
	line.WriteString(" (" + text + ")")
	s.untagged(line.String())
}

// statusItems renders the STATUS items asked for, for STATUS and for
// LIST ... RETURN (STATUS (...)).
func statusItems(info mailstore.MailboxInfo, list []arg) (string, error) {
	var items []string
	for _, item := range list {
		if item.kind != argAtom {
			return "", errors.New("Unknown STATUS item " + item.String() + ".")
		}
		var n int64
		switch strings.ToUpper(item.text) {
		case "MESSAGES":
			n = int64(info.Messages)
		case "RECENT":
			n = int64(info.Recent)
		case "UIDNEXT":
			n = int64(info.UIDNext)
		case "UIDVALIDITY":
			n = int64(info.UIDValidity)
		case "UNSEEN":
			n = int64(info.Unseen)
		default:
			return "", errors.New("Unknown STATUS item " + item.String() + ".")
		}
		items = append(items, strings.ToUpper(item.text)+" "+strconv.FormatInt(n, 10))
	}
	return strings.Join(items, " "), nil
}

func (s *session) cmdAppend(cmd command) result {
	usage := "APPEND mailbox [(flags)] [date-time] {size}"
	if len(cmd.args) < 2 || len(cmd.args) > 4 {
		return tagBAD("Expected " + usage + ".")
	}
	name, ok := mailboxArg(cmd.args[0])
	message := cmd.args[len(cmd.args)-1]
	if !ok || !message.isString() {
		return tagBAD("Expected " + usage + ".")
	}
	var flags []string
	var date time.Time
	for _, a := range cmd.args[1 : len(cmd.args)-1] {
		switch {
		case a.kind == argList && flags == nil:
			var err error
			if flags, err = parseFlags(a.list); err != nil {
				return tagBAD("Invalid flags: " + err.Error() + ".")
			}
		case a.isString() && date.IsZero():
			d, err := time.Parse("_2-Jan-2006 15:04:05 -0700", a.text)
			if err != nil {
				return tagBAD("Invalid date-time " + a.String() + " (want e.g. \"05-Jan-2026 09:00:00 +0000\").")
			}
			date = d
		default:
			return tagBAD("Expected " + usage + ".")
		}
	}
	if message.text == "" {
		return tagNO("Can't save an empty message.")
	}
	if info, err := s.store.Status(s.user, name); err == nil {
		if info.Messages >= s.srv.cfg.MaxMailboxMessages {
			return tagNO(fmt.Sprintf("[LIMIT] Mailbox %s is full (%d messages).", info.Name, info.Messages))
		}
		if why := keywordLimit(info.Keywords, flags); why != "" {
			return tagNO(why)
		}
	}
	uid, err := s.store.Append(s.user, name, flags, date, []byte(message.text))
	switch {
	case errors.Is(err, mailstore.ErrNoSuchMailbox):
		return tagNO("[TRYCREATE] Mailbox doesn't exist: " + name)
	case errors.Is(err, mailstore.ErrTooBig):
		return tagNO(fmt.Sprintf("[TOOBIG] Message too big (limit %d bytes).", s.store.MaxMessage()))
	case err != nil:
		return tagNO("Can't append to " + name + ".")
	}
	info, err := s.store.Status(s.user, name)
	if err != nil {
		return tagOK("Append completed.")
	}
	return tagOK(fmt.Sprintf("[APPENDUID %d %d] Append completed.", info.UIDValidity, uid))
}

// Keywords are announced in every FLAGS line and kept for good, so their
// number and length are bounded, as Dovecot bounds their length
// (mail_max_keyword_length).
const (
	maxKeywords      = 256
	maxKeywordLength = 50
)

// keywordLimit says why adding flags to a mailbox that has the keywords
// known would pass a limit, or "".
func keywordLimit(known, flags []string) string {
	n := len(known)
	for _, f := range flags {
		if strings.HasPrefix(f, `\`) {
			continue
		}
		if len(f) > maxKeywordLength {
			return fmt.Sprintf("[LIMIT] Keyword longer than %d characters: %.20s...", maxKeywordLength, f)
		}
		if !slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, f) }) {
			n++
			known = append(known, f)
		}
	}
	if n > maxKeywords {
		return fmt.Sprintf("[LIMIT] A mailbox holds at most %d keywords.", maxKeywords)
	}
	return ""
}

// systemFlags are the flags a client may set, in their canonical case.
var systemFlags = []string{`\Answered`, `\Flagged`, `\Deleted`, `\Seen`, `\Draft`}

// parseFlags reads a flag list, canonicalising system flags' case.
func parseFlags(list []arg) ([]string, error) {
	flags := []string{}
	for _, a := range list {
		if a.kind != argAtom || strings.ContainsAny(a.text, "[]") {
			return nil, fmt.Errorf("%s is not a flag", a.String())
		}
		f := a.text
		if strings.HasPrefix(f, `\`) {
			canon := ""
			for _, sf := range systemFlags {
				if strings.EqualFold(sf, f) {
					canon = sf
				}
			}
			if canon == "" {
				return nil, fmt.Errorf("%s is not a system flag", f)
			}
			f = canon
		}
		flags = append(flags, f)
	}
	return flags, nil
}
