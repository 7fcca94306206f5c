package pop3d

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"strings"
	"time"
)

func (s *session) authAllowed() bool {
	return s.tlsActive || s.srv.insecureAuthAllowed()
}

const refusePlaintext = "-ERR [AUTH] Plaintext authentication is refused without TLS; send STLS first."

func (s *session) userCmd(cmd command) {
	if len(cmd.Args) != 1 {
		s.reply("-ERR Syntax: USER <name>")
		return
	}
	if !s.authAllowed() {
		s.reply(refusePlaintext)
		return
	}
	// Always +OK: whether the user exists is told only after PASS.
	s.userArg = cmd.Args[0]
	s.reply("+OK Send PASS for %s.", printable(s.userArg))
}

func (s *session) pass(cmd command) {
	if !s.authAllowed() {
		s.reply(refusePlaintext)
		return
	}
	if s.userArg == "" {
		s.reply("-ERR Send USER first.")
		return
	}
	if cmd.Rest == "" {
		s.reply("-ERR Syntax: PASS <password>")
		return
	}
	user := s.userArg
	s.userArg = ""
	s.login(user, cmd.Rest)
}

// login opens the maildrop, or counts a failure; failures keep the
// connection until MaxAuthFails.
func (s *session) login(user, password string) {
	store := s.srv.cfg.Store
	name, ok := store.Authenticate(user, password)
	if !ok {
		s.authFails++
		if s.authFails >= s.srv.cfg.MaxAuthFails {
			s.reply("-ERR [AUTH] Invalid user name or password; too many failures, closing.")
			s.done = true
			return
		}
		s.reply("-ERR [AUTH] Invalid user name or password.")
		return
	}
	msgs, info, err := store.Messages(name, "INBOX")
	if err != nil {
		s.reply("-ERR [SYS/TEMP] Cannot open the maildrop.")
		return
	}
	s.user, s.drop, s.state = name, newMaildrop(msgs, info.UIDValidity), transaction
	count, octets := s.drop.stat()
	s.reply("+OK %s's maildrop has %s (%d octets).", name, plural(count, "message"), octets)
}

// auth is AUTH (RFC 5034) with the PLAIN mechanism (RFC 4616) or LOGIN
// (what curl and Outlook send, and Dovecot offers), the initial response
// inline or after a "+ " continuation.
func (s *session) auth(cmd command) {
	if len(cmd.Args) == 0 {
		s.reply("+OK Supported mechanisms follow.")
		s.reply("PLAIN")
		s.reply("LOGIN")
		s.reply(".")
		return
	}
	if len(cmd.Args) > 2 {
		s.reply("-ERR Syntax: AUTH <mechanism> [initial-response]")
		return
	}
	mech := strings.ToUpper(cmd.Args[0])
	if mech != "PLAIN" && mech != "LOGIN" {
		s.reply("-ERR [AUTH] Unsupported mechanism: %s. This server offers PLAIN and LOGIN.", printable(cmd.Args[0]))
		return
	}
	if !s.authAllowed() {
		s.reply(refusePlaintext)
		return
	}
	initial, hasInitial := "", len(cmd.Args) == 2
	if hasInitial {
		initial = cmd.Args[1]
		if initial == "=" { // an empty initial response
			initial = ""
		}
	}
	if mech == "LOGIN" {
		s.authLogin(initial, hasInitial)
		return
	}
	resp := initial
	if !hasInitial {
		var ok bool
		if resp, ok = s.saslResponse(""); !ok {
			return
		}
	}
	raw, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		s.reply("-ERR Invalid base64 in the AUTH PLAIN response.")
		return
	}
	parts := bytes.Split(raw, []byte{0})
	if len(parts) != 3 {
		s.reply("-ERR AUTH PLAIN wants authzid NUL user NUL password.")
		return
	}
	authz, user, password := string(parts[0]), string(parts[1]), string(parts[2])
	if authz != "" && authz != user {
		s.reply("-ERR [AUTH] Logging in as another user (authzid) is not supported.")
		return
	}
	s.login(user, password)
}

// authLogin asks for the user name and the password, base64 each, with
// Dovecot's prompts "Username:" and "Password:". An initial response is
// the user name.
func (s *session) authLogin(initial string, hasInitial bool) {
	userB64 := initial
	if !hasInitial {
		var ok bool
		if userB64, ok = s.saslResponse(base64.StdEncoding.EncodeToString([]byte("Username:"))); !ok {
			return
		}
	}
	user, err := base64.StdEncoding.DecodeString(userB64)
	if err != nil {
		s.reply("-ERR Invalid base64 in the AUTH LOGIN user name.")
		return
	}
	passB64, ok := s.saslResponse(base64.StdEncoding.EncodeToString([]byte("Password:")))
	if !ok {
		return
	}
	password, err := base64.StdEncoding.DecodeString(passB64)
	if err != nil {
		s.reply("-ERR Invalid base64 in the AUTH LOGIN password.")
		return
	}
	s.login(string(user), string(password))
}

// saslResponse sends a "+ challenge" continuation and reads the client's
// answer; ok is false when the exchange ended (and was answered).
func (s *session) saslResponse(challenge string) (string, bool) {
	s.reply("+ %s", challenge)
	if err := s.flush(); err != nil {
		s.done = true
		return "", false
	}
	line, tooLong, err := s.readLine()
	if err != nil {
		s.done = true
		return "", false
	}
	if tooLong {
		s.reply("-ERR Line too long: commands are limited to %d octets.", s.srv.cfg.MaxLine)
		return "", false
	}
	if line == "*" {
		s.reply("-ERR Authentication cancelled.")
		return "", false
	}
	return line, true
}

// stls upgrades the connection (RFC 2595). Replies must reach the client
// before the handshake, so they are flushed first.
func (s *session) stls(cmd command) {
	switch {
	case len(cmd.Args) > 0:
		s.reply("-ERR Syntax: STLS takes no arguments.")
		return
	case s.tlsActive:
		s.reply("-ERR TLS is already active.")
		return
	case s.srv.cfg.TLS == nil:
		s.reply("-ERR STLS is not available: this server has no TLS certificate.")
		return
	}
	s.reply("+OK Begin TLS negotiation now.")
	if err := s.flush(); err != nil {
		s.done = true
		return
	}
	tc := tls.Server(s.conn, s.srv.cfg.TLS)
	_ = tc.SetDeadline(time.Now().Add(s.srv.cfg.IdleTimeout))
	if err := tc.Handshake(); err != nil {
		s.done = true
		return
	}
	_ = tc.SetDeadline(time.Time{})
	// A fresh reader drops any plaintext pipelined after STLS: it must not
	// be taken as sent under TLS (the STARTTLS command-injection attack).
	s.conn, s.br, s.tlsActive = tc, bufio.NewReaderSize(tc, 4096), true
	s.userArg = ""
}
