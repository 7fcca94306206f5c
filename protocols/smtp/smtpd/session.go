package smtpd

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/wirebook/wirebook/protocols/internal/serverkit"
)

// session is one client connection.
type session struct {
	srv  *Server
	cfg  *Config
	conn net.Conn // the current connection: the TLS one after STARTTLS
	r    *bufio.Reader
	w    *bufio.Writer

	tlsActive bool
	helo      string // argument of HELO/EHLO; "" until one was given
	esmtp     bool   // the client said EHLO
	user      string // canonical name after a successful AUTH

	// the mail transaction, reset by RSET, HELO/EHLO and the end of DATA
	inMail bool
	from   string
	rcpts  []string // canonical local users, without duplicates
	rcptTo []string // the addresses as the client wrote them

	errors int
	quit   bool // the session is over: hang up after the last reply
}

func newSession(srv *Server, c net.Conn) *session {
	s := &session{srv: srv, cfg: &srv.cfg}
	_, s.tlsActive = c.(*tls.Conn)
	s.setConn(c)
	return s
}

func (s *session) setConn(c net.Conn) {
	s.release()
	s.conn = c
	s.r = serverkit.NewReader(c)
	s.w = serverkit.NewWriter(c)
}

// release gives the session's buffers back; what they hold is dropped.
func (s *session) release() {
	serverkit.PutReader(s.r)
	serverkit.PutWriter(s.w)
	s.r, s.w = nil, nil
}

// run greets the client and serves commands until QUIT, an I/O error or a
// limit.
func (s *session) run() {
	defer s.flush()
	// On an implicit-TLS connection the handshake runs inside the first
	// write; a client that never sends its hello must not hold it forever.
	_ = s.conn.SetDeadline(time.Now().Add(s.cfg.IdleTimeout))
	s.reply(220, s.cfg.Hostname+" ESMTP wirebook lab server")
	for !s.quit {
		line, err := s.readLine()
		switch {
		case errors.Is(err, errLineTooLong):
			// Postfix (line_length_limit) acts on the first 2048 bytes
			// of a longer command line and drops the rest.
			s.dispatch(line)
		case err != nil:
			s.readFailed(err)
		default:
			s.dispatch(line)
		}
		if !s.quit && s.errors >= s.cfg.MaxErrors {
			s.reply(421, "4.7.0 "+s.cfg.Hostname+" Error: too many errors")
			s.quit = true
		}
	}
}

// readFailed ends the session after a failed read, telling an idle client
// why.
func (s *session) readFailed(err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		s.reply(421, "4.4.2 "+s.cfg.Hostname+" Error: timeout exceeded")
	}
	s.quit = true
}

func (s *session) dispatch(line string) {
	verb, arg := parseCommand(line)
	switch verb {
	case "EHLO", "HELO":
		s.cmdHello(verb, arg)
	case "MAIL":
		s.cmdMail(arg)
	case "RCPT":
		s.cmdRcpt(arg)
	case "DATA":
		s.cmdData(arg)
	case "RSET":
		if arg != "" {
			s.reply(501, "5.5.4 Syntax: RSET")
			return
		}
		s.resetTransaction()
		s.reply(250, "2.0.0 Ok")
	case "NOOP":
		s.reply(250, "2.0.0 Ok")
	case "VRFY":
		s.cmdVrfy(arg)
	case "EXPN":
		s.reply(502, "5.5.1 Error: command not implemented")
	case "HELP":
		s.reply(214, "2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT STARTTLS AUTH")
	case "QUIT":
		s.reply(221, "2.0.0 Bye")
		s.quit = true
	case "STARTTLS":
		s.cmdStartTLS(arg)
	case "AUTH":
		s.cmdAuth(arg)
	case "":
		s.reply(500, "5.5.2 Error: bad syntax: empty command")
	case "GET", "POST", "CONNECT":
		// The first word of an HTTP request: a browser or web client is
		// on the SMTP port. Hang up at once, as Postfix's
		// smtpd_forbidden_commands does, instead of answering every
		// header line with an error.
		s.reply(221, "2.7.0 Error: this is an SMTP server, not a web server. Goodbye.")
		s.quit = true
	default:
		s.reply(500, "5.5.2 Error: command not recognized")
	}
}

func (s *session) resetTransaction() {
	s.inMail, s.from, s.rcpts, s.rcptTo = false, "", nil, nil
}

// authAllowed reports whether AUTH may be used on this connection.
func (s *session) authAllowed() bool { return s.tlsActive || s.cfg.AllowInsecureAuth }

// tlsOffered reports whether STARTTLS is available.
func (s *session) tlsOffered() bool { return s.cfg.TLS != nil && !s.tlsActive }

// reply sends a reply of one line per text, "code-text" for all but the
// last, and counts error replies toward MaxErrors. Replies are flushed
// before the next read that would wait, so the replies to pipelined
// commands leave in one write.
func (s *session) reply(code int, texts ...string) {
	if code >= 400 {
		s.errors++
	}
	c := strconv.Itoa(code)
	for i, t := range texts {
		sep := byte(' ')
		if i < len(texts)-1 {
			sep = '-'
		}
		// The pieces one after another: the bytes of code+sep+text+CRLF.
		s.w.WriteString(c)
		s.w.WriteByte(sep)
		s.w.WriteString(t)
		s.w.WriteString("\r\n")
	}
}

func (s *session) flush() error {
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.cfg.IdleTimeout))
	if err := s.w.Flush(); err != nil {
		s.quit = true
		return err
	}
	return nil
}

var errLineTooLong = errors.New("smtpd: line too long")

// readLine reads one command line without its line end (CRLF, or a bare
// LF as sent by sloppy clients). A line longer than MaxLine is consumed,
// keeping only its first MaxLine-2 bytes, and gives errLineTooLong, so
// memory stays bounded.
func (s *session) readLine() (string, error) { return s.readLineMax(s.cfg.MaxLine) }

// readLineMax is readLine with another limit, line end included.
func (s *session) readLineMax(max int) (string, error) {
	if !s.lineBuffered() {
		if err := s.flush(); err != nil {
			return "", err
		}
	}
	_ = s.conn.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
	var line []byte
	tooLong := false
	for {
		chunk, err := s.r.ReadSlice('\n')
		if !tooLong && len(line)+len(chunk) > max+1 {
			tooLong = true
			line = append(line, chunk[:max-len(line)]...) // keep the head: Postfix acts on it
		}
		if !tooLong {
			line = append(line, chunk...)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if tooLong || len(line) > max-2 {
		return string(line[:min(len(line), max-2)]), errLineTooLong
	}
	return string(line), nil
}

// lineBuffered reports whether a complete line is already read from the
// connection, so the next readLine will not wait for the client.
func (s *session) lineBuffered() bool {
	b, _ := s.r.Peek(s.r.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

func (s *session) cmdStartTLS(arg string) {
	switch {
	case arg != "":
		s.reply(501, "5.5.4 Syntax: STARTTLS")
		return
	case s.tlsActive:
		s.reply(554, "5.5.1 Error: TLS already active")
		return
	case s.cfg.TLS == nil:
		s.reply(502, "5.5.1 Error: command not implemented")
		return
	}
	s.reply(220, "2.0.0 Ready to start TLS")
	if s.flush() != nil {
		return
	}
	// Whatever the client pipelined after STARTTLS came in clear; it is
	// dropped with the old reader rather than run as if it came over TLS
	// (the STARTTLS command-injection attack, CVE-2011-0411).
	tc := tls.Server(s.conn, s.cfg.TLS)
	_ = tc.SetDeadline(time.Now().Add(s.cfg.IdleTimeout))
	if err := tc.Handshake(); err != nil {
		s.quit = true
		return
	}
	_ = tc.SetDeadline(time.Time{})
	s.setConn(tc)
	s.tlsActive = true
	// RFC 3207 section 4.2: forget everything learnt before TLS.
	s.helo, s.esmtp, s.user = "", false, ""
	s.resetTransaction()
}
