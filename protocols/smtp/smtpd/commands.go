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
	lines = append(lines, "HELP")
	s.reply(250, lines...)
}

func (s *session) cmdMail(arg string) {
	switch {
	case s.helo == "":
		s.reply(503, "5.5.1 Error: send HELO/EHLO first")
		return
	case s.inMail:
		s.reply(503, "5.5.1 Error: nested MAIL command")
		return
	case s.cfg.Submission && s.user == "":
		if !s.authAllowed() && s.tlsOffered() {
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
	if len(s.rcptTo) >= s.cfg.MaxRecipients {
		s.reply(452, "4.5.3 Error: too many recipients")
		return
	}
	if domainOf(addr) != strings.ToLower(s.cfg.Store.Domain()) {
		s.reply(554, "5.7.1 <"+addr+">: Relay access denied")
		return
	}
	user, ok := s.cfg.Store.LocalUser(addr)
	if !ok {
		s.reply(550, "5.1.1 <"+addr+">: Recipient address rejected: no such user here")
		return
	}
	if !slices.Contains(s.rcpts, user) {
		s.rcpts = append(s.rcpts, user)
	}
	s.rcptTo = append(s.rcptTo, addr)
	s.reply(250, "2.1.5 Ok")
}
