package smtpd

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/wirebook/wirebook/protocols/mailstore"
)

func (s *session) cmdData(arg string) {
	switch {
	case arg != "":
		s.reply(501, "5.5.4 Syntax: DATA")
		return
	case !s.inMail:
		s.reply(503, "5.5.1 Error: need MAIL command")
		return
	case len(s.rcpts) == 0:
		s.reply(503, "5.5.1 Error: need RCPT command")
		return
	}
	s.reply(354, "End data with <CR><LF>.<CR><LF>")
	body, problem, err := s.readMessage()
	if err != nil {
		s.readFailed(err)
		return
	}
	defer s.resetTransaction()
	if problem != nil {
		s.reply(problem.code, problem.text)
		return
	}
	id := s.srv.nextQueueID()
	data := append(s.traceHeaders(id), body...)
	if err := s.cfg.Store.Deliver(s.rcpts, data); err != nil {
		if errors.Is(err, mailstore.ErrTooBig) {
			s.reply(552, "5.3.4 Message size exceeds fixed maximum message size")
			return
		}
		s.reply(451, "4.3.0 Error: queue file write error")
		return
	}
	s.reply(250, "2.0.0 Ok: queued as "+id)
}

// messageProblem is why a message read in full is refused.
type messageProblem struct {
	code int
	text string
}

// readMessage reads DATA lines up to the lone ".", removing the dot
// stuffing (RFC 5321 section 4.5.2) and ending every line in CRLF. It
// reads to the end even when the message is refused, so the client's
// next command is not taken from the middle of its message; err is set
// only when the connection fails.
func (s *session) readMessage() (body []byte, problem *messageProblem, err error) {
	var buf bytes.Buffer
	for {
		line, err := s.readLine()
		if errors.Is(err, errLineTooLong) {
			if problem == nil {
				problem = &messageProblem{554, fmt.Sprintf(
					"5.6.0 Error: message line longer than %d characters; nothing delivered", s.cfg.MaxLine-2)}
			}
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if line == "." {
			break
		}
		line = strings.TrimPrefix(line, ".")
		if problem != nil {
			continue
		}
		if buf.Len()+len(line)+2 > s.cfg.MaxMessageSize {
			problem = &messageProblem{552, "5.3.4 Message size exceeds fixed maximum message size"}
			buf.Reset()
			continue
		}
		buf.WriteString(line)
		buf.WriteString("\r\n")
	}
	if problem != nil {
		return nil, problem, nil
	}
	return buf.Bytes(), nil, nil
}

// traceHeaders are the Return-Path (RFC 5321 section 4.4: the delivering
// server records the envelope sender) and Received lines put in front of
// a delivered message. They are deterministic: the client is always shown
// as localhost and the date comes from the store's clock.
func (s *session) traceHeaders(id string) []byte {
	with := "SMTP"
	if s.esmtp {
		// RFC 3848: ESMTPS with TLS, ESMTPA with AUTH, ESMTPSA with both.
		with = "ESMTP"
		if s.tlsActive {
			with += "S"
		}
		if s.user != "" {
			with += "A"
		}
	}
	helo := s.helo
	if helo == "" {
		// MAIL without HELO/EHLO is allowed; name the client by its
		// address's host name instead, as Postfix does.
		helo = "localhost"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", s.from)
	fmt.Fprintf(&b, "Received: from %s (localhost [127.0.0.1])\r\n", helo)
	fmt.Fprintf(&b, "\tby %s (wirebook) with %s id %s", s.cfg.Hostname, with, id)
	// Like Postfix, name the recipient only when there is one: with more,
	// every copy would disclose the Bcc recipients.
	if len(s.rcptTo) == 1 {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", s.rcptTo[0])
	}
	fmt.Fprintf(&b, "; %s\r\n", s.cfg.Store.Clock().Now().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	return []byte(b.String())
}
