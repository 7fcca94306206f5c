package imapd

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// handler runs one command in the states it is valid in.
type handler struct {
	states []state // the first one also picks the wrong-state message
	uid    bool    // may follow UID
	run    func(s *session, cmd command) result
}

var (
	anyState      = []state{stateNotAuth, stateAuth, stateSelected}
	notAuthOnly   = []state{stateNotAuth}
	authenticated = []state{stateAuth, stateSelected}
	selectedOnly  = []state{stateSelected}
)

// commands maps command names (after UID, if any) to handlers.
var commands = map[string]handler{
	"CAPABILITY":   {states: anyState, run: (*session).cmdCapability},
	"NOOP":         {states: anyState, run: (*session).cmdNoop},
	"LOGOUT":       {states: anyState, run: (*session).cmdLogout},
	"STARTTLS":     {states: notAuthOnly, run: (*session).cmdStartTLS},
	"LOGIN":        {states: notAuthOnly, run: (*session).cmdLogin},
	"AUTHENTICATE": {states: notAuthOnly, run: (*session).cmdAuthenticate},
	"SELECT":       {states: authenticated, run: (*session).cmdSelect},
	"EXAMINE":      {states: authenticated, run: (*session).cmdSelect},
	"CREATE":       {states: authenticated, run: (*session).cmdCreate},
	"DELETE":       {states: authenticated, run: (*session).cmdDelete},
	"RENAME":       {states: authenticated, run: (*session).cmdRename},
	"SUBSCRIBE":    {states: authenticated, run: (*session).cmdSubscribe},
	"UNSUBSCRIBE":  {states: authenticated, run: (*session).cmdSubscribe},
	"LIST":         {states: authenticated, run: (*session).cmdList},
	"LSUB":         {states: authenticated, run: (*session).cmdList},
	"STATUS":       {states: authenticated, run: (*session).cmdStatus},
	"APPEND":       {states: authenticated, run: (*session).cmdAppend},
	"IDLE":         {states: authenticated, run: (*session).cmdIdle},
	"CHECK":        {states: selectedOnly, run: (*session).cmdCheck},
	"CLOSE":        {states: selectedOnly, run: (*session).cmdClose},
	"EXPUNGE":      {states: selectedOnly, uid: true, run: (*session).cmdExpunge},
	"SEARCH":       {states: selectedOnly, uid: true, run: (*session).cmdSearch},
	"FETCH":        {states: selectedOnly, uid: true, run: (*session).cmdFetch},
	"STORE":        {states: selectedOnly, uid: true, run: (*session).cmdStore},
	"COPY":         {states: selectedOnly, uid: true, run: (*session).cmdCopy},
	"MOVE":         {states: selectedOnly, uid: true, run: (*session).cmdCopy},

	"NAMESPACE":      {states: authenticated, run: (*session).cmdNamespace},
	"UNSELECT":       {states: selectedOnly, run: (*session).cmdUnselect},
	"ID":             {states: anyState, run: (*session).cmdID},
	"ENABLE":         {states: authenticated, run: (*session).cmdEnable},
	"UNAUTHENTICATE": {states: authenticated, run: (*session).cmdUnauthenticate},
}

// wantArgs checks the argument count; IMAP has no optional trailing junk.
func wantArgs(cmd command, n int, usage string) (result, bool) {
	if len(cmd.args) != n {
		return tagBAD(fmt.Sprintf("Expected %s.", usage)), false
	}
	return result{}, true
}

func (s *session) cmdCapability(cmd command) result {
	if r, ok := wantArgs(cmd, 0, "no arguments"); !ok {
		return r
	}
	s.untagged("CAPABILITY " + s.capabilities())
	return tagOK("Capability completed.")
}

func (s *session) cmdNoop(cmd command) result {
	if r, ok := wantArgs(cmd, 0, "no arguments"); !ok {
		return r
	}
	return tagOK("NOOP completed.")
}

func (s *session) cmdCheck(cmd command) result {
	if r, ok := wantArgs(cmd, 0, "no arguments"); !ok {
		return r
	}
	return tagOK("Check completed.")
}

func (s *session) cmdLogout(cmd command) result {
	if r, ok := wantArgs(cmd, 0, "no arguments"); !ok {
		return r
	}
	s.untagged("BYE " + s.srv.cfg.Hostname + " IMAP4rev1 server logging out.")
	s.state = stateLogout
	s.sel = nil
	return tagOK("Logout completed.")
}

func (s *session) cmdStartTLS(cmd command) result {
	if r, ok := wantArgs(cmd, 0, "no arguments"); !ok {
		return r
	}
	if s.tls {
		return tagBAD("TLS is already active.")
	}
	if s.srv.cfg.TLS == nil {
		return tagBAD("STARTTLS is not available on this server.")
	}
	s.tagged(cmd.tag, "OK", "Begin TLS negotiation now.")
	if err := s.flush(); err != nil {
		s.dead = err
		return result{}
	}
	conn := tls.Server(s.conn, s.srv.cfg.TLS)
	conn.SetDeadline(time.Now().Add(time.Minute))
	if err := conn.Handshake(); err != nil {
		s.dead = err
		return result{}
	}
	conn.SetDeadline(time.Time{})
	// New buffers: anything the client pipelined in plaintext after
	// STARTTLS is dropped, never read as if it came over TLS.
	s.conn, s.r, s.w, s.tls = conn, bufio.NewReaderSize(conn, 4096), bufio.NewWriter(conn), true
	return result{}
}

func (s *session) cmdLogin(cmd command) result {
	if r, ok := wantArgs(cmd, 2, "LOGIN user password"); !ok {
		return r
	}
	user, ok1 := cmd.args[0].astring()
	password, ok2 := cmd.args[1].astring()
	if !ok1 || !ok2 {
		return tagBAD("Expected LOGIN user password.")
	}
	if !s.authAllowed() {
		return tagNO("[PRIVACYREQUIRED] Plaintext login is disabled here; use STARTTLS first.")
	}
	return s.login(user, password)
}

func (s *session) login(user, password string) result {
	name, valid := s.store.Authenticate(user, password)
	if !valid {
		return tagNO("[AUTHENTICATIONFAILED] Authentication failed.")
	}
	s.user, s.state = name, stateAuth
	return tagOK("[CAPABILITY " + s.capabilities() + "] Logged in.")
}

func (s *session) cmdAuthenticate(cmd command) result {
	if len(cmd.args) < 1 || len(cmd.args) > 2 || cmd.args[0].kind != argAtom {
		return tagBAD("Expected AUTHENTICATE PLAIN [initial-response].")
	}
	if !strings.EqualFold(cmd.args[0].text, "PLAIN") {
		return tagNO("Unsupported authentication mechanism (this server offers PLAIN).")
	}
	if !s.authAllowed() {
		return tagNO("[PRIVACYREQUIRED] Plaintext authentication is disabled here; use STARTTLS first.")
	}
	var response string
	if len(cmd.args) == 2 {
		response, _ = cmd.args[1].astring()
	} else {
		s.continuation("")
		if err := s.flush(); err != nil {
			s.dead = err
			return result{}
		}
		line, err := s.readLine(s.srv.cfg.MaxLine)
		if err != nil && !errors.Is(err, errLineTooLong) {
			s.dead = err
			return result{}
		}
		if err != nil {
			return tagBAD("Authentication response too long.")
		}
		response = string(line)
	}
	if response == "*" {
		return tagBAD("Authentication aborted by client.")
	}
	if response == "=" {
		response = ""
	}
	raw, err := base64.StdEncoding.DecodeString(response)
	if err != nil {
		return tagBAD("Invalid base64 in authentication response.")
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 {
		return tagNO("[AUTHENTICATIONFAILED] Authentication failed.")
	}
	authz, user, password := parts[0], parts[1], parts[2]
	if authz != "" && !strings.EqualFold(authz, user) {
		return tagNO("[AUTHORIZATIONFAILED] Logging in as another user is not allowed.")
	}
	return s.login(user, password)
}

func (s *session) cmdClose(cmd command) result {
	if r, ok := wantArgs(cmd, 0, "no arguments"); !ok {
		return r
	}
	if !s.sel.readOnly {
		s.store.Expunge(s.user, s.sel.name, nil) // silently, as RFC 3501 6.4.2 says
	}
	s.sel, s.state = nil, stateAuth
	return tagOK("Close completed.")
}

func (s *session) cmdExpunge(cmd command) result {
	if s.sel.readOnly {
		return tagNO("Mailbox is read-only (EXAMINE); SELECT it to expunge.")
	}
	if !cmd.uid {
		if r, ok := wantArgs(cmd, 0, "no arguments"); !ok {
			return r
		}
		s.store.Expunge(s.user, s.sel.name, nil)
		return tagOK("Expunge completed.")
	}
	if r, ok := wantArgs(cmd, 1, "UID EXPUNGE uid-set"); !ok {
		return r
	}
	if cmd.args[0].kind != argAtom {
		return tagBAD("Invalid uidset.")
	}
	idx, err := s.resolve(cmd.args[0].text, true)
	if err != nil {
		return tagBAD("Invalid uidset.")
	}
	msgs, _, err := s.snapshot()
	if err != nil {
		return tagNO("Mailbox is gone.")
	}
	uids := []uint32{}
	for _, i := range idx {
		uid := s.sel.uids[i]
		if m := msgs[uid]; m != nil && m.HasFlag(`\Deleted`) {
			uids = append(uids, uid)
		}
	}
	if len(uids) > 0 { // an empty list must not mean "all \Deleted"
		s.store.Expunge(s.user, s.sel.name, uids)
	}
	return tagOK("Expunge completed.")
}

func (s *session) cmdCopy(cmd command) result {
	usage := cmd.fullName() + " set mailbox"
	if r, ok := wantArgs(cmd, 2, usage); !ok {
		return r
	}
	dest, ok := mailboxArg(cmd.args[1])
	if cmd.args[0].kind != argAtom || !ok {
		return tagBAD("Expected " + usage + ".")
	}
	idx, err := s.resolve(cmd.args[0].text, cmd.uid)
	if err != nil {
		return tagBAD("Invalid messageset.")
	}
	info, err := s.store.Status(s.user, dest)
	if err != nil {
		return tagNO("[TRYCREATE] Mailbox doesn't exist: " + dest)
	}
	uids := make([]uint32, len(idx))
	for i, n := range idx {
		uids[i] = s.sel.uids[n]
	}
	if len(uids) == 0 {
		return tagOK("No messages found.")
	}
	move := cmd.name == "MOVE"
	if move && s.sel.readOnly {
		return tagNO("Mailbox is read-only (EXAMINE); SELECT it to move messages out.")
	}
	if info.Messages+len(uids) > s.srv.cfg.MaxMailboxMessages {
		return tagNO(fmt.Sprintf("[LIMIT] Mailbox %s would exceed %d messages.", info.Name, s.srv.cfg.MaxMailboxMessages))
	}
	newUIDs, err := s.store.Copy(s.user, s.sel.name, uids, dest)
	if err != nil {
		return tagNO("Can't copy to " + dest + ".")
	}
	if len(newUIDs) != len(uids) {
		return tagNO("[EXPUNGEISSUED] Some of the messages no longer exist.")
	}
	copyUID := fmt.Sprintf("[COPYUID %d %s %s]", info.UIDValidity, formatUIDSet(uids), formatUIDSet(newUIDs))
	if move {
		// RFC 6851: COPYUID comes untagged, then the EXPUNGEs, which the
		// sync after every command reports.
		s.untagged("OK " + copyUID + " Moved UIDs.")
		s.store.Expunge(s.user, s.sel.name, uids)
		return tagOK("Move completed.")
	}
	return tagOK(copyUID + " Copy completed.")
}

func (s *session) cmdIdle(cmd command) result {
	if r, ok := wantArgs(cmd, 0, "no arguments"); !ok {
		return r
	}
	var changed <-chan struct{} // nil without a selected mailbox: never fires
	if s.sel != nil {
		ch, stop := s.store.Watch(s.user, s.sel.name)
		defer stop()
		changed = ch
	}
	s.continuation("idling")
	if s.sel != nil {
		s.sync(true)
	}
	if err := s.flush(); err != nil {
		s.dead = err
		return result{}
	}
	type lineResult struct {
		line []byte
		err  error
	}
	done := make(chan lineResult, 1)
	go func() {
		line, err := s.readLine(s.srv.cfg.MaxLine)
		done <- lineResult{line, err}
	}()
	for {
		select {
		case <-changed:
			s.sync(true)
			if err := s.flush(); err != nil || s.dead != nil {
				if s.dead == nil {
					s.dead = err
				}
				s.conn.Close() // ends the reader, which waits on the client
				<-done
				return result{}
			}
		case r := <-done:
			switch {
			case r.err != nil && errors.Is(r.err, errLineTooLong):
				return tagBAD("Expected DONE.")
			case r.err != nil:
				if s.srv.shuttingDown() {
					s.untagged("BYE Server shutting down.")
				} else if errors.Is(r.err, os.ErrDeadlineExceeded) {
					s.untagged("BYE Disconnected for inactivity.")
				}
				s.dead = r.err
				return result{}
			case !strings.EqualFold(string(r.line), "DONE"):
				return tagBAD("Expected DONE to end IDLE.")
			}
			return tagOK("Idle completed.")
		}
	}
}
