package smtpd

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

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
	now := s.cfg.Store.Clock().Now()
	message := append(s.traceHeaders(id, now), foldLongLines(addMissingHeaders(body, id, s.cfg.Hostname, now))...)
	// Each copy names its own recipient, as Dovecot's LMTP does. All are
	// checked against the size limit before any is delivered.
	copies := make([][]byte, len(s.rcpts))
	for i, user := range s.rcpts {
		copies[i] = append([]byte(fmt.Sprintf("Return-Path: <%s>\r\nDelivered-To: %s@%s\r\n", s.from, user, s.cfg.Store.Domain())), message...)
		if len(copies[i]) > s.cfg.Store.MaxMessage() {
			s.reply(552, "5.3.4 Message size exceeds fixed maximum message size")
			return
		}
	}
	for i, user := range s.rcpts {
		if err := s.cfg.Store.Deliver([]string{user}, copies[i]); err != nil {
			if errors.Is(err, mailstore.ErrTooBig) {
				s.reply(552, "5.3.4 Message size exceeds fixed maximum message size")
				return
			}
			s.reply(451, "4.3.0 Error: queue file write error")
			return
		}
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
		// Lines of any length, as Postfix takes them: only the message
		// size bounds them. foldLongLines breaks them for delivery.
		line, err := s.readLineMax(s.cfg.MaxMessageSize + 2)
		if errors.Is(err, errLineTooLong) {
			if problem == nil {
				problem = &messageProblem{552, "5.3.4 Message size exceeds fixed maximum message size"}
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

// traceHeaders is the Received line put in front of a delivered message,
// below the Return-Path (RFC 5321 section 4.4: the delivering server
// records the envelope sender) and Delivered-To of each copy. It is
// deterministic: the client is always shown as localhost and the date
// comes from the store's clock.
func (s *session) traceHeaders(id string, now time.Time) []byte {
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
	fmt.Fprintf(&b, "Received: from %s (localhost [127.0.0.1])\r\n", helo)
	fmt.Fprintf(&b, "\tby %s (wirebook) with %s id %s", s.cfg.Hostname, with, id)
	// Like Postfix, name the recipient only when there is one: with more,
	// every copy would disclose the Bcc recipients.
	if len(s.rcptTo) == 1 {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", s.rcptTo[0])
	}
	fmt.Fprintf(&b, "; %s\r\n", now.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	return []byte(b.String())
}

// addMissingHeaders adds Message-Id and Date at the end of the header
// when the client sent none, in Postfix's cleanup format:
// "Message-Id: <20260105090000.Q00001@mail.example.com>" and
// "Date: Mon,  5 Jan 2026 09:00:00 +0000 (UTC)".
func addMissingHeaders(body []byte, id, hostname string, now time.Time) []byte {
	end, hasMessageID, hasDate := 0, false, false
	for end < len(body) {
		next := bytes.Index(body[end:], []byte("\r\n"))
		if next < 0 {
			next = len(body) - end
		}
		line := body[end : end+next]
		if len(line) == 0 || !isHeaderLine(line) {
			break
		}
		name, _, _ := bytes.Cut(line, []byte(":"))
		hasMessageID = hasMessageID || strings.EqualFold(string(name), "Message-Id")
		hasDate = hasDate || strings.EqualFold(string(name), "Date")
		end = min(end+next+2, len(body))
	}
	var add bytes.Buffer
	if !hasMessageID {
		fmt.Fprintf(&add, "Message-Id: <%s.%s@%s>\r\n", now.Format("20060102150405"), id, hostname)
	}
	if !hasDate {
		fmt.Fprintf(&add, "Date: %s\r\n", now.Format("Mon, _2 Jan 2006 15:04:05 -0700 (MST)"))
	}
	if add.Len() == 0 {
		return body
	}
	if end < len(body) && !bytes.HasPrefix(body[end:], []byte("\r\n")) {
		add.WriteString("\r\n") // the body started without the empty line
	}
	out := append(slices.Clone(body[:end]), add.Bytes()...)
	return append(out, body[end:]...)
}

// isHeaderLine reports whether line is a header field ("Name: value") or
// the continuation of one.
func isHeaderLine(line []byte) bool {
	if line[0] == ' ' || line[0] == '\t' {
		return true
	}
	name, _, ok := bytes.Cut(line, []byte(":"))
	if !ok || len(name) == 0 {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// foldAt is the longest line Postfix's LMTP client passes on (RFC 5322's
// 998 characters, lmtp_line_length_limit).
const foldAt = 998

// foldLongLines breaks lines longer than foldAt as Postfix does on
// delivery: the first 998 characters, then pieces of a space and 997.
func foldLongLines(msg []byte) []byte {
	if !hasLongLine(msg) {
		return msg
	}
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(msg, []byte("\r\n")) {
		text := bytes.TrimSuffix(line, []byte("\r\n"))
		if len(text) <= foldAt {
			out.Write(line)
			continue
		}
		out.Write(text[:foldAt])
		for rest := text[foldAt:]; len(rest) > 0; {
			n := min(len(rest), foldAt-1)
			out.WriteString("\r\n ")
			out.Write(rest[:n])
			rest = rest[n:]
		}
		out.Write(line[len(text):])
	}
	return out.Bytes()
}

func hasLongLine(msg []byte) bool {
	for len(msg) > 0 {
		i := bytes.IndexByte(msg, '\n')
		if i < 0 {
			i = len(msg)
		}
		if i > foldAt+1 {
			return true
		}
		msg = msg[min(i+1, len(msg)):]
	}
	return false
}
