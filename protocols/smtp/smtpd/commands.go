package smtpd

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

func (s *session) cmdHello(verb, arg string) {
	if arg == "" {
		s.reply(501, "5.5.4 Syntax: "+verb+" hostname")
		return
	}
	s.helo = printable(strings.Fields(arg)[0])
	s.esmtp = verb == "EHLO"
	s.resetTransaction()
	if !s.esmtp {
		s.reply(250, s.cfg.Hostname)
		return
	}
	lines := []string{
		s.cfg.Hostname,
		"PIPELINING",
		fmt.Sprintf("SIZE %d", s.cfg.MaxMessageSize),
		"8BITMIME",
		"ENHANCEDSTATUSCODES",
	}
	if s.tlsOffered() {
		lines = append(lines, "STARTTLS")
	}
	if s.authAllowed() {
		lines = append(lines, "AUTH PLAIN LOGIN")
	}
	// No HELP keyword: HELP is a base command of RFC 5321, not a service
	// extension, and Postfix does not list it either.
	s.reply(250, lines...)
}

func (s *session) cmdMail(arg string) {
	// No HELO/EHLO is needed first (Postfix's default smtpd_helo_required
	// = no), not even again after STARTTLS, where RFC 3207 only says SHOULD.
	switch {
	case s.inMail:
		s.reply(503, "5.5.1 Error: nested MAIL command")
		return
	case s.cfg.Submission && s.user == "" && !s.authAllowed():
		// On submission an unauthenticated sender is refused at RCPT (see
		// cmdRcpt), as Postfix does; here only when AUTH is impossible.
		if s.tlsOffered() {
			s.reply(530, "5.7.0 Must issue a STARTTLS command first")
		} else {
			s.reply(530, "5.7.0 Authentication required")
		}
		return
	}
	addr, params, err := parsePath(arg, "FROM:")
	if err != nil {
		s.reply(501, "5.5.4 Syntax: MAIL FROM:<address>")
		return
	}
	if addr != "" && !validAddress(addr) {
		s.reply(501, "5.1.7 Bad sender address syntax: want <local@domain> or <>")
		return
	}
	p, err := parseMailParams(params)
	var pe *paramError
	if errors.As(err, &pe) {
		s.reply(pe.code, pe.text)
		return
	}
	if p.size > int64(s.cfg.MaxMessageSize) {
		s.reply(552, "5.3.4 Message size exceeds fixed maximum message size")
		return
	}
	s.inMail, s.from = true, addr
	s.reply(250, "2.1.0 Ok")
}

func (s *session) cmdRcpt(arg string) {
	if !s.inMail {
		s.reply(503, "5.5.1 Error: need MAIL command")
		return
	}
	addr, params, err := parsePath(arg, "TO:")
	if err != nil {
		s.reply(501, "5.5.4 Syntax: RCPT TO:<address>")
		return
	}
	if !validAddress(addr) {
		s.reply(501, "5.1.3 Bad recipient address syntax: want <local@domain>")
		return
	}
	if len(params) > 0 {
		key, _, _ := strings.Cut(params[0], "=")
		s.reply(555, "5.5.4 Unsupported option: "+key)
		return
	}
	if s.cfg.Submission && s.user == "" {
		s.reply(554, "5.7.1 <"+addr+">: Relay access denied: authenticate first (AUTH)")
		return
	}
	if len(s.rcptTo) >= s.cfg.MaxRecipients {
		s.reply(452, "4.5.3 Error: too many recipients")
		return
	}
	user, ok := s.checkRecipient(addr)
	if !ok {
		return
	}
	if !slices.Contains(s.rcpts, user) {
		s.rcpts = append(s.rcpts, user)
	}
	s.rcptTo = append(s.rcptTo, addr)
	s.reply(250, "2.1.5 Ok")
}

// checkRecipient applies the recipient rules shared by RCPT and VRFY (as
// Postfix does): other domains are not relayed, unknown local users are
// refused. It sends the refusal itself and returns the local user.
func (s *session) checkRecipient(addr string) (string, bool) {
	if domainOf(addr) != strings.ToLower(s.cfg.Store.Domain()) {
		s.reply(554, "5.7.1 <"+addr+">: Relay access denied")
		return "", false
	}
	user, ok := s.cfg.Store.LocalUser(addr)
	if !ok {
		s.reply(550, "5.1.1 <"+addr+">: Recipient address rejected: User unknown in local recipient table")
		return "", false
	}
	return user, true
}

// cmdVrfy answers like Postfix: a local user gets 252 (RFC 5321: the
// server will accept mail for it, without confirming more), an unknown
// local user 550 and another domain the relay refusal of RCPT. A bare
// name is taken as a user of the local domain.
func (s *session) cmdVrfy(arg string) {
	addr := strings.TrimSuffix(strings.TrimPrefix(arg, "<"), ">")
	if addr == "" {
		s.reply(501, "5.5.4 Syntax: VRFY address")
		return
	}
	if !strings.Contains(addr, "@") {
		addr += "@" + s.cfg.Store.Domain()
	}
	if !validAddress(addr) {
		s.reply(501, "5.1.3 Bad recipient address syntax: want <local@domain>")
		return
	}
	if _, ok := s.checkRecipient(addr); ok {
		s.reply(252, "2.0.0 <"+addr+">")
	}
}
