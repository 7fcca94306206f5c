// Package imapd is the embedded IMAP4rev1 server of the labs (RFC 3501 with
// LITERAL+, SASL-IR, IDLE, UIDPLUS, STARTTLS, AUTH=PLAIN, ID, ENABLE,
// NAMESPACE, UNSELECT, CHILDREN, LIST-EXTENDED, LIST-STATUS, MOVE and
// UNAUTHENTICATE). It serves the
// mailboxes of the shared mailstore, so a message accepted by SMTP shows up
// in the INBOX, and a session in IDLE hears about it at once.
//
// Output is deterministic: the greeting and replies carry no timings, pids
// or random data, and dates come from the store's clock.
package imapd

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/wirebook/wirebook/protocols/internal/serverkit"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

// Config configures a Server.
type Config struct {
	Hostname string           // shown when logging out; default "mail.example.com"
	Store    *mailstore.Store // required
	TLS      *tls.Config      // nil: no STARTTLS offered

	// AllowInsecureAuth permits LOGIN and AUTHENTICATE PLAIN on a
	// connection without TLS. nil means allowed: the labs run on loopback.
	// When false, the server advertises LOGINDISABLED until STARTTLS.
	AllowInsecureAuth *bool

	MaxLine        int           // longest command line without literals; default 65536, as Dovecot
	MaxLiteral     int           // largest APPEND literal; default Store.MaxMessage()
	MaxConnections int           // sessions at once; more clients wait (serverkit.Tracker); default 2048
	IdleTimeout    time.Duration // autologout timer, also in IDLE; default 30 minutes
	MaxBadCommands int           // consecutive BAD replies before disconnecting; default 20

	// MaxMailboxMessages caps APPEND and COPY into a mailbox; without it
	// a few "COPY 1:* INBOX" double the mailbox until memory runs out.
	// Default 10000. Delivery by SMTP is not limited here.
	MaxMailboxMessages int
}

// Server is an IMAP server over a mailstore.
type Server struct {
	cfg Config

	conns serverkit.Tracker

	// mu guards closing and live. A session arms each read under mu, so
	// a read armed after Close began fails at once instead of waiting.
	mu      sync.Mutex
	closing bool
	live    map[net.Conn]struct{}
	drained chan struct{} // closed when the last session ends during Close
}

// errShutdown ends a session's read when the server is closing.
var errShutdown = errors.New("imapd: server shutting down")

// armRead sets conn's read deadline, or fails once the server is closing.
func (s *Server) armRead(conn net.Conn, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return errShutdown
	}
	return conn.SetReadDeadline(time.Now().Add(d))
}

func (s *Server) shuttingDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// New returns a server; zero Config fields get their defaults.
func New(cfg Config) *Server {
	if cfg.Hostname == "" {
		cfg.Hostname = "mail.example.com"
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = 65536
	}
	if cfg.MaxLiteral <= 0 && cfg.Store != nil {
		cfg.MaxLiteral = cfg.Store.MaxMessage()
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 2048
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.MaxBadCommands <= 0 {
		cfg.MaxBadCommands = 20
	}
	if cfg.MaxMailboxMessages <= 0 {
		cfg.MaxMailboxMessages = 10000
	}
	s := &Server{cfg: cfg}
	s.conns.MaxConns = cfg.MaxConnections
	return s
}

// Serve accepts connections on l until Close; it returns nil after Close.
// A listener from tls.NewListener gives IMAPS: sessions start with TLS
// active and offer no STARTTLS.
func (s *Server) Serve(l net.Listener) error {
	if s.cfg.Store == nil {
		return errors.New("imapd: Config.Store is required")
	}
	return s.conns.Serve(l, s.serveConn)
}

func (s *Server) serveConn(conn net.Conn) {
	defer func() {
		// A bug in one session must not take down every lab
		// server in the process; the client sees a goodbye.
		if r := recover(); r != nil {
			conn.SetWriteDeadline(time.Now().Add(time.Second))
			fmt.Fprintf(conn, "* BYE Internal server error: %v\r\n", r)
		}
	}()
	s.mu.Lock()
	if s.live == nil {
		s.live = map[net.Conn]struct{}{}
	}
	s.live[conn] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.live, conn)
		if len(s.live) == 0 && s.drained != nil {
			close(s.drained)
			s.drained = nil
		}
		s.mu.Unlock()
	}()
	sess := newSession(s, conn)
	sess.serve()
	serverkit.EndTLS(sess.conn)
	// The session is over: its buffers serve the next one.
	serverkit.PutReader(sess.r)
	serverkit.PutWriter(sess.w)
}

// shutdownGrace is how long Close lets sessions finish the command they
// are running and say "* BYE" before it cuts their connections.
const shutdownGrace = 2 * time.Second

// Close stops every listener and session and waits for their goroutines.
// Sessions waiting for a command, or in IDLE, get "* BYE Server shutting
// down." first, as Dovecot's do.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closing = true
	for conn := range s.live {
		conn.SetReadDeadline(time.Now()) // wakes the read; the session says BYE
	}
	var drained chan struct{}
	if len(s.live) > 0 && s.drained == nil {
		s.drained = make(chan struct{})
		drained = s.drained
	}
	s.mu.Unlock()
	if drained != nil {
		stop := time.NewTimer(shutdownGrace)
		select {
		case <-drained:
		case <-stop.C:
		}
		stop.Stop()
	}
	return s.conns.Close()
}

// insecureAuthAllowed reports whether LOGIN works without TLS.
func (s *Server) insecureAuthAllowed() bool {
	return s.cfg.AllowInsecureAuth == nil || *s.cfg.AllowInsecureAuth
}
