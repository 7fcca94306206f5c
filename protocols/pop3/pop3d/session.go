package pop3d

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/wirebook/wirebook/protocols/internal/serverkit"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

// state is a POP3 session state (RFC 1939 section 3).
type state int

const (
	authorization state = iota
	transaction
	update
)

// greeting carries no APOP timestamp, so transcripts are reproducible.
const greeting = "+OK wirebook lab POP3 server ready."

// flushAt bounds the replies held back while pipelined commands are read.
const flushAt = 64 << 10

// session is one client connection.
type session struct {
	srv       *Server
	conn      net.Conn // the current transport, TLS after STLS
	br        *bufio.Reader
	out       bytes.Buffer // replies not yet written
	tlsActive bool
	state     state
	userArg   string // name given by USER, waiting for PASS
	user      string // canonical name once logged in
	drop      *maildrop
	authFails int
	done      bool
}

func newSession(srv *Server, c net.Conn) *session {
	_, isTLS := c.(*tls.Conn)
	return &session{srv: srv, conn: c, br: serverkit.NewReader(c), tlsActive: isTLS}
}

func (s *session) reply(format string, args ...any) {
	fmt.Fprintf(&s.out, format, args...)
	s.out.WriteString("\r\n")
}

func (s *session) flush() error {
	if s.out.Len() == 0 {
		return nil
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.srv.cfg.IdleTimeout))
	_, err := s.conn.Write(s.out.Bytes())
	s.out.Reset()
	return err
}

// lineBuffered reports whether a whole pipelined command is already read:
// replies are then held back and sent together, as PIPELINING allows.
func (s *session) lineBuffered() bool {
	peek, _ := s.br.Peek(s.br.Buffered())
	return bytes.IndexByte(peek, '\n') >= 0
}

func (s *session) serve() {
	s.reply(greeting)
	for !s.done {
		if !s.lineBuffered() || s.out.Len() >= flushAt {
			if err := s.flush(); err != nil {
				return
			}
		}
		line, tooLong, err := s.readLine()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				s.reply("-ERR Autologout: idle for more than %s.", s.srv.cfg.IdleTimeout)
				_ = s.flush()
			}
			return
		}
		if tooLong {
			s.reply("-ERR Line too long: commands are limited to %d octets.", s.srv.cfg.MaxLine)
			continue
		}
		s.handle(line)
	}
	_ = s.flush()
}

// readLine reads one line without its line end (CRLF, or a bare LF from a
// sloppy client). A line over MaxLine is read to its end and dropped, so
// memory stays bounded and the session can go on.
func (s *session) readLine() (line string, tooLong bool, err error) {
	_ = s.conn.SetReadDeadline(time.Now().Add(s.srv.cfg.IdleTimeout))
	var buf []byte
	for {
		chunk, err := s.br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > s.srv.cfg.MaxLine {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", false, err
		}
	}
	if tooLong {
		return "", true, nil
	}
	buf = bytes.TrimSuffix(buf, []byte("\n"))
	buf = bytes.TrimSuffix(buf, []byte("\r"))
	return string(buf), false, nil
}

func (s *session) handle(line string) {
	cmd := parseCommand(line)
	switch cmd.Verb {
	case "":
		s.reply("-ERR Empty command line.")
		return
	case "CAPA":
		s.capa(cmd)
		return
	case "QUIT":
		s.quit(cmd)
		return
	case "APOP":
		s.reply("-ERR APOP is not supported (the greeting has no timestamp); use USER/PASS or AUTH PLAIN.")
		return
	}
	if h, ok := authorizationCommands[cmd.Verb]; ok {
		if s.state != authorization {
			s.reply("-ERR Already logged in: %s is only valid in the AUTHORIZATION state.", cmd.Verb)
			return
		}
		h(s, cmd)
		return
	}
	if h, ok := transactionCommands[cmd.Verb]; ok {
		if s.state != transaction {
			s.reply("-ERR Not logged in: %s is only valid in the TRANSACTION state; log in with USER/PASS or AUTH first.", cmd.Verb)
			return
		}
		h(s, cmd)
		return
	}
	s.reply("-ERR Unknown command: %s", printable(cmd.Verb))
}

type handler func(*session, command)

// authorizationCommands are valid only before login, transactionCommands
// only after it (RFC 1939 states).
var authorizationCommands = map[string]handler{
	"USER": (*session).userCmd,
	"PASS": (*session).pass,
	"AUTH": (*session).auth,
	"STLS": (*session).stls,
}

var transactionCommands = map[string]handler{
	"STAT": (*session).stat,
	"LIST": (*session).list,
	"UIDL": (*session).uidlCmd,
	"RETR": (*session).retr,
	"TOP":  (*session).top,
	"DELE": (*session).dele,
	"RSET": (*session).rset,
	"NOOP": (*session).noop,
}

func (s *session) capa(cmd command) {
	if len(cmd.Args) > 0 {
		s.reply("-ERR Syntax: CAPA takes no arguments.")
		return
	}
	s.reply("+OK Capability list follows.")
	for _, c := range []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"} {
		s.reply("%s", c)
	}
	if s.state == authorization {
		if s.authAllowed() {
			s.reply("USER")
			s.reply("SASL PLAIN LOGIN")
		}
		if s.srv.cfg.TLS != nil && !s.tlsActive {
			s.reply("STLS")
		}
	}
	s.reply("IMPLEMENTATION wirebook")
	s.reply(".")
}

func (s *session) quit(cmd command) {
	if len(cmd.Args) > 0 {
		s.reply("-ERR Syntax: QUIT takes no arguments.")
		return
	}
	s.done = true
	host := s.srv.cfg.Hostname
	if s.state != transaction {
		s.reply("+OK %s POP3 server signing off.", host)
		return
	}
	// UPDATE state: deletions take effect only now.
	s.state = update
	store := s.srv.cfg.Store
	if uids := s.drop.deletedUIDs(); len(uids) > 0 {
		if _, err := store.Expunge(s.user, "INBOX", uids); err != nil {
			s.reply("-ERR [SYS/TEMP] Some deleted messages were not removed.")
			return
		}
	}
	if uids := s.drop.seenUIDs(); len(uids) > 0 {
		_, _ = store.UpdateFlags(s.user, "INBOX", uids, mailstore.AddFlags, []string{`\Seen`})
	}
	left, _ := s.drop.stat()
	if left == 0 {
		s.reply("+OK %s POP3 server signing off (maildrop empty).", host)
		return
	}
	s.reply("+OK %s POP3 server signing off (%s left).", host, plural(left, "message"))
}
