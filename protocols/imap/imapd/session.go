package imapd

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wirebook/wirebook/protocols/internal/serverkit"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

// state is the RFC 3501 connection state.
type state int

const (
	stateNotAuth state = iota
	stateAuth
	stateSelected
	stateLogout
)

// session is one client connection.
type session struct {
	srv   *Server
	store *mailstore.Store
	conn  net.Conn
	r     *bufio.Reader
	w     *bufio.Writer
	tls   bool

	state state
	user  string
	sel   *selection
	bad   int   // consecutive BAD replies
	dead  error // set when the connection must end after the current reply
}

func newSession(srv *Server, conn net.Conn) *session {
	_, isTLS := conn.(*tls.Conn)
	return &session{
		srv:   srv,
		store: srv.cfg.Store,
		conn:  conn,
		r:     serverkit.NewReader(conn),
		w:     serverkit.NewWriter(conn),
		tls:   isTLS,
	}
}

// errLineTooLong and errLiteralRefused are read errors after which the
// session answers and goes on (or, for a refused non-synchronizing
// literal, says goodbye).
var errLineTooLong = errors.New("line too long")

type literalRefusedError struct {
	head    []byte // the line that announced the literal
	limit   int
	nonSync bool
}

func (e *literalRefusedError) Error() string { return "literal too big" }

func (s *session) serve() {
	s.untagged("OK [CAPABILITY " + s.capabilities() + "] wirebook lab IMAP server ready.")
	if s.flush() != nil {
		return
	}
	for {
		buf, err := s.readCommand()
		var refused *literalRefusedError
		switch {
		case err == nil:
			if len(bytes.TrimSpace(buf)) > 0 {
				s.execute(buf)
			}
		case errors.Is(err, errLineTooLong):
			s.replyBad(splitTag(buf), "", fmt.Sprintf("Line too long (maximum %d bytes).", s.srv.cfg.MaxLine))
		case errors.As(err, &refused):
			s.refuseLiteral(refused)
		case s.srv.shuttingDown():
			s.untagged("BYE Server shutting down.")
			s.flush()
			return
		case errors.Is(err, os.ErrDeadlineExceeded):
			s.untagged("BYE Disconnected for inactivity.")
			s.flush()
			return
		default:
			return // the client went away or the server is closing
		}
		if s.dead == nil && s.bad >= s.srv.cfg.MaxBadCommands {
			s.untagged("BYE Too many invalid IMAP commands.")
			s.dead = errors.New("too many bad commands")
		}
		if err := s.flush(); err != nil || s.dead != nil || s.state == stateLogout {
			return
		}
	}
}

// readLine reads one line of at most limit bytes and strips its line end.
// A longer line is consumed to its end and reported as errLineTooLong,
// with its first bytes returned so the reply can carry the tag.
func (s *session) readLine(limit int) ([]byte, error) {
	if err := s.srv.armRead(s.conn, s.srv.cfg.IdleTimeout); err != nil {
		return nil, err
	}
	var line []byte
	for {
		chunk, err := s.r.ReadSlice('\n')
		if len(line)+len(chunk) > limit+2 {
			head := append(line, chunk[:min(len(chunk), 128)]...)
			for err == bufio.ErrBufferFull {
				_, err = s.r.ReadSlice('\n')
			}
			if err != nil {
				return nil, err
			}
			return head[:min(len(head), 128)], errLineTooLong
		}
		line = append(line, chunk...)
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return nil, err
		}
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r")), nil
}

// maxLiteralsPerCommand bounds how many literals one command may carry.
const maxLiteralsPerCommand = 32

// readCommand reads a command line and the literals it announces, and
// returns them spliced together as "line{n}\r\n<n bytes>rest...". It asks
// for synchronizing literals with a continuation request and refuses
// oversized ones before reading a byte of them.
func (s *session) readCommand() ([]byte, error) {
	line, err := s.readLine(s.srv.cfg.MaxLine)
	if err != nil {
		return line, err
	}
	buf := line
	total := 0
	for literals := 0; ; literals++ {
		n, nonSync, ok := trailingLiteral(line)
		if !ok {
			return buf, nil
		}
		limit := s.srv.cfg.MaxLine
		if commandName(buf) == "APPEND" {
			limit = s.srv.cfg.MaxLiteral
		}
		if n < 0 || n > int64(limit-total) || literals >= maxLiteralsPerCommand {
			return nil, &literalRefusedError{head: buf[:min(len(buf), 128)], limit: limit, nonSync: nonSync}
		}
		total += int(n)
		if !nonSync {
			s.continuation("Ready for literal data")
			if err := s.flush(); err != nil {
				return nil, err
			}
		}
		// Grow the buffer as the bytes arrive: a client that announces a
		// big literal and sends nothing must not cost its size.
		data := bytes.NewBuffer(append(buf, "\r\n"...))
		if err := s.srv.armRead(s.conn, s.srv.cfg.IdleTimeout); err != nil {
			return nil, err
		}
		if _, err := io.CopyN(data, s.r, n); err != nil {
			return nil, err
		}
		buf = data.Bytes()
		if line, err = s.readLine(s.srv.cfg.MaxLine); err != nil {
			return buf[:min(len(buf), 128)], err
		}
		buf = append(buf, line...)
	}
}

// commandName finds the command word of a raw line ("UID FETCH" gives
// FETCH), for limits that depend on the command before it is parsed.
func commandName(line []byte) string {
	words := strings.Fields(string(line[:min(len(line), 64)]))
	if len(words) < 2 {
		return ""
	}
	name := strings.ToUpper(words[1])
	if name == "UID" && len(words) > 2 {
		name = strings.ToUpper(words[2])
	}
	return name
}

func (s *session) refuseLiteral(e *literalRefusedError) {
	tag := splitTag(e.head)
	name := commandName(e.head)
	if tag == "" {
		tag = "*"
	}
	if name == "APPEND" {
		s.tagged(tag, "NO", fmt.Sprintf("[TOOBIG] Message too big (limit %d bytes).", e.limit))
	} else {
		s.replyBad(tag, name, fmt.Sprintf("Literal too big (limit %d bytes).", e.limit))
	}
	if e.nonSync {
		// The client is already sending the refused bytes; there is no
		// way to find the next command in them.
		s.untagged("BYE Refused a non-synchronizing literal, closing the connection.")
		s.dead = errors.New("refused non-synchronizing literal")
	}
}

// execute parses and runs one command and writes its tagged reply.
func (s *session) execute(buf []byte) {
	cmd, err := parseCommand(buf)
	switch {
	case errors.Is(err, errBadTag):
		s.bad++
		s.untagged("BAD Error in IMAP command received by server: each command must start with a tag such as a1.")
		return
	case errors.Is(err, errNoCommand):
		hint := ""
		if _, known := commands[strings.ToUpper(cmd.tag)]; known {
			hint = fmt.Sprintf(" Each command starts with a tag: a1 %s ...", strings.ToUpper(cmd.tag))
		}
		s.replyBad(cmd.tag, "", "Missing command name."+hint)
		return
	case err != nil:
		s.replyBad(cmd.tag, cmd.fullName(), "Invalid arguments: "+err.Error()+".")
		return
	}
	h, known := commands[cmd.name]
	if !known {
		s.replyBad(cmd.tag, cmd.fullName(), "Unknown command"+unknownHint(cmd)+".")
		return
	}
	if cmd.uid && !h.uid {
		s.replyBad(cmd.tag, cmd.fullName(), "UID works only with COPY, FETCH, SEARCH, STORE and EXPUNGE.")
		return
	}
	if msg := s.stateError(h.states); msg != "" {
		s.replyBad(cmd.tag, cmd.fullName(), msg)
		return
	}
	res := h.run(s, cmd)
	if res.status == "" { // the handler already replied (STARTTLS)
		s.bad = 0
		return
	}
	if s.state == stateSelected && s.dead == nil {
		// RFC 3501 7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH.
		s.sync(cmd.uid || (cmd.name != "FETCH" && cmd.name != "STORE" && cmd.name != "SEARCH"))
	}
	if res.status == "BAD" {
		s.replyBad(cmd.tag, cmd.fullName(), res.text)
		return
	}
	s.bad = 0
	s.tagged(cmd.tag, res.status, res.text)
}

func (c command) fullName() string {
	if c.uid {
		return "UID " + c.name
	}
	return c.name
}

// unknownHint helps people who type other protocols' commands, or forget
// the tag, as the course's lecture does with "A0001 USER".
func unknownHint(cmd command) string {
	if _, known := commands[strings.ToUpper(cmd.tag)]; known {
		return fmt.Sprintf(" (each command starts with a tag: a1 %s ...)", strings.ToUpper(cmd.tag))
	}
	switch cmd.name {
	case "USER", "PASS", "APOP":
		return " (IMAP logs in with: a1 LOGIN user password)"
	case "QUIT":
		return " (IMAP ends a session with: a1 LOGOUT)"
	case "RETR", "TOP":
		return " (IMAP reads a message with: a1 FETCH 1 BODY[])"
	case "STAT":
		return " (try: a1 STATUS INBOX (MESSAGES UNSEEN))"
	case "DELE":
		return " (IMAP deletes with: a1 STORE 1 +FLAGS (\\Deleted), then EXPUNGE)"
	case "HELO", "EHLO", "MAIL", "RCPT", "DATA":
		return " (this is an IMAP server, not SMTP)"
	case "GET", "HEAD", "POST":
		return " (this is an IMAP server, not HTTP)"
	}
	return ""
}

func (s *session) stateError(allowed []state) string {
	for _, st := range allowed {
		if st == s.state {
			return ""
		}
	}
	switch {
	case s.state == stateNotAuth:
		return "Log in first (LOGIN or AUTHENTICATE PLAIN)."
	case allowed[0] == stateNotAuth:
		return "Already logged in."
	default:
		return "No mailbox selected (SELECT or EXAMINE one first)."
	}
}

// result is a handler's tagged reply; an empty status means the handler
// has written it itself.
type result struct {
	status string
	text   string
}

func tagOK(text string) result  { return result{"OK", text} }
func tagNO(text string) result  { return result{"NO", text} }
func tagBAD(text string) result { return result{"BAD", text} }

func (s *session) replyBad(tag, name, text string) {
	s.bad++
	if tag == "" {
		tag = "*"
	}
	if name == "" {
		s.tagged(tag, "BAD", "Error in IMAP command received by server: "+text)
		return
	}
	s.tagged(tag, "BAD", "Error in IMAP command "+name+": "+text)
}

// The reply writers write their pieces into the buffer one after another:
// the same bytes as one string made of them, without making it.

func (s *session) untagged(text string) { s.line("* ", text) }

func (s *session) continuation(text string) { s.line("+ ", text) }

func (s *session) line(prefix, text string) {
	s.w.WriteString(prefix)
	s.w.WriteString(text)
	s.w.WriteString("\r\n")
}

func (s *session) tagged(tag, status, text string) {
	s.w.WriteString(tag)
	s.w.WriteByte(' ')
	s.w.WriteString(status)
	s.w.WriteByte(' ')
	s.w.WriteString(text)
	s.w.WriteString("\r\n")
}

func (s *session) flush() error {
	s.conn.SetWriteDeadline(time.Now().Add(time.Minute))
	return s.w.Flush()
}

// capabilities lists what this session may use now, in a stable order.
func (s *session) capabilities() string {
	if s.state != stateNotAuth {
		return capsAuthenticated
	}
	return capsNotAuth[b2i(s.srv.cfg.TLS != nil && !s.tls)][b2i(s.authAllowed())]
}

// The capability lists, made once: after login, and before it by whether
// STARTTLS is offered and whether AUTH is allowed.
var (
	capsAuthenticated = strings.Join(baseCaps, " ")
	capsNotAuth       = func() (out [2][2]string) {
		for starttls := range 2 {
			for auth := range 2 {
				caps := append([]string(nil), baseCaps...)
				if starttls == 1 {
					caps = append(caps, "STARTTLS")
				}
				if auth == 1 {
					caps = append(caps, "AUTH=PLAIN")
				} else {
					caps = append(caps, "LOGINDISABLED")
				}
				out[starttls][auth] = strings.Join(caps, " ")
			}
		}
		return out
	}()
	baseCaps = []string{"IMAP4rev1", "LITERAL+", "SASL-IR", "IDLE", "UIDPLUS", "ID", "ENABLE",
		"NAMESPACE", "UNSELECT", "CHILDREN", "LIST-EXTENDED", "LIST-STATUS", "MOVE", "UNAUTHENTICATE"}
)

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *session) authAllowed() bool { return s.tls || s.srv.insecureAuthAllowed() }

// selection is the session's view of its selected mailbox. Sequence
// numbers are positions in uids; they change only when this session
// reports EXPUNGE and EXISTS, whatever other sessions do meanwhile.
type selection struct {
	name        string
	readOnly    bool
	uidValidity uint32
	uids        []uint32
	flags       map[uint32]string // flags last reported, to notice changes
	recent      map[uint32]bool   // messages this session holds as \Recent
	keywords    []string          // keywords announced in FLAGS
}

// announceKeywords sends FLAGS and PERMANENTFLAGS again when the mailbox
// has keywords the session has not announced yet, before any FETCH that
// could carry one (RFC 3501 7.2.6: a client may reject a flag it was not
// told about).
func (s *session) announceKeywords(keywords []string) {
	if s.sel == nil || len(keywords) <= len(s.sel.keywords) {
		return // keywords are only ever added, in order
	}
	s.sel.keywords = keywords
	s.writeFlags()
}

// writeFlags writes the FLAGS and PERMANENTFLAGS of the selection.
func (s *session) writeFlags() {
	flags := strings.Join(append(slices.Clone(systemFlags), s.sel.keywords...), " ")
	s.untagged("FLAGS (" + flags + ")")
	if s.sel.readOnly {
		s.untagged("OK [PERMANENTFLAGS ()] Read-only mailbox.")
	} else {
		s.untagged(`OK [PERMANENTFLAGS (` + flags + ` \*)] Flags permitted.`)
	}
}

// snapshot loads the mailbox's messages by UID.
func (s *session) snapshot() (map[uint32]*mailstore.Message, mailstore.MailboxInfo, error) {
	msgs, info, err := s.store.Messages(s.user, s.sel.name)
	if err != nil {
		return nil, info, err
	}
	byUID := make(map[uint32]*mailstore.Message, len(msgs))
	for i := range msgs {
		byUID[msgs[i].UID] = &msgs[i]
	}
	return byUID, info, nil
}

// sync reports what changed in the selected mailbox since the last
// report: expunged messages (when allowed), new ones and flag changes.
func (s *session) sync(allowExpunge bool) {
	msgs, info, err := s.store.Messages(s.user, s.sel.name)
	if err != nil {
		s.untagged("BYE Selected mailbox was deleted or renamed, have to disconnect.")
		s.dead = err
		return
	}
	s.announceKeywords(info.Keywords)
	byUID := make(map[uint32]*mailstore.Message, len(msgs))
	for i := range msgs {
		byUID[msgs[i].UID] = &msgs[i]
	}
	sel := s.sel
	if allowExpunge {
		kept := sel.uids[:0]
		for _, uid := range sel.uids {
			if byUID[uid] == nil {
				s.untagged(strconv.Itoa(len(kept)+1) + " EXPUNGE")
				delete(sel.flags, uid)
				delete(sel.recent, uid)
				continue
			}
			kept = append(kept, uid)
		}
		sel.uids = kept
	}
	var last uint32
	if len(sel.uids) > 0 {
		last = sel.uids[len(sel.uids)-1]
	}
	added, takeRecent := false, false
	for i := range msgs {
		m := &msgs[i]
		if m.UID <= last {
			continue
		}
		added = true
		sel.uids = append(sel.uids, m.UID)
		sel.flags[m.UID] = flagKey(m.Flags)
		if m.HasFlag(`\Recent`) {
			sel.recent[m.UID] = true
			takeRecent = true
		}
	}
	if added {
		s.untagged(strconv.Itoa(len(sel.uids)) + " EXISTS")
		s.untagged(strconv.Itoa(len(sel.recent)) + " RECENT")
		if takeRecent && !sel.readOnly {
			s.store.ClearRecent(s.user, sel.name, sel.uids[len(sel.uids)-1])
		}
	}
	for i, uid := range sel.uids {
		m := byUID[uid]
		if m == nil {
			continue
		}
		if key := flagKey(m.Flags); key != sel.flags[uid] {
			sel.flags[uid] = key
			s.untagged(fmt.Sprintf("%d FETCH (FLAGS %s)", i+1, s.flagList(uid, m.Flags)))
		}
	}
}

// flagKey is a comparable form of a message's flags, without \Recent
// (which the session, not the store, tracks once a mailbox is selected).
func flagKey(flags []string) string {
	var out []string
	for _, f := range flags {
		if f != `\Recent` {
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

// flagList renders "(\Seen \Recent)": stored flags, then \Recent when the
// session holds the message as recent.
func (s *session) flagList(uid uint32, flags []string) string {
	out := []string{}
	for _, f := range flags {
		if f != `\Recent` {
			out = append(out, f)
		}
	}
	if s.sel != nil && s.sel.recent[uid] {
		out = append(out, `\Recent`)
	}
	return "(" + strings.Join(out, " ") + ")"
}

// resolve turns a sequence set (or UID set) into positions in the view.
// Message numbers beyond the mailbox are an error, as in Dovecot, except
// in ranges ending in "*" ("1:*" on an empty mailbox is fine); UIDs that
// do not exist are skipped (RFC 3501 6.4.8).
func (s *session) resolve(setText string, uid bool) ([]int, error) {
	set, err := parseSeqSet(setText)
	if err != nil {
		return nil, err
	}
	uids := s.sel.uids
	var out []int
	if uid {
		var star uint32
		if len(uids) > 0 {
			star = uids[len(uids)-1]
		}
		for i, u := range uids {
			if set.contains(u, star) {
				out = append(out, i)
			}
		}
		return out, nil
	}
	if set.maxExplicit(false) > uint32(len(uids)) {
		return nil, errors.New("invalid messageset")
	}
	for i := range uids {
		if set.contains(uint32(i+1), uint32(len(uids))) {
			out = append(out, i)
		}
	}
	return out, nil
}
