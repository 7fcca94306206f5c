// Package pop3d is the embedded POP3 server of the labs (RFC 1939 with CAPA,
// STLS, AUTH PLAIN, TOP, UIDL and PIPELINING). It serves the INBOX of the
// shared mailstore, so mail delivered by SMTP is at once in the maildrop.
//
// Output is deterministic: the greeting has no timestamp (no APOP), and
// unique ids come from the store's UIDs.
package pop3d

import (
	"crypto/tls"
	"errors"
	"net"
	"time"

	"github.com/wirebook/wirebook/protocols/internal/serverkit"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

// Config configures a Server.
type Config struct {
	Hostname string           // shown when signing off; default "mail.example.com"
	Store    *mailstore.Store // required
	TLS      *tls.Config      // nil: no STLS offered

	// AllowInsecureAuth permits USER/PASS and AUTH PLAIN on a connection
	// without TLS. nil means allowed: the labs run on loopback, as Dovecot
	// treats local connections as secure.
	AllowInsecureAuth *bool

	MaxLine        int           // longest command line with CRLF; default 512 (RFC 1939 says 255, plus slack)
	MaxConnections int           // sessions at once; more clients wait (serverkit.Tracker); default 2048
	IdleTimeout    time.Duration // autologout timer; default 10 minutes (RFC 1939 minimum)
	MaxAuthFails   int           // failed logins before disconnecting; default 10
}

// Server is a POP3 server over a mailstore.
type Server struct {
	cfg Config

	conns serverkit.Tracker
}

// New returns a server; zero Config fields get their defaults.
func New(cfg Config) *Server {
	if cfg.Hostname == "" {
		cfg.Hostname = "mail.example.com"
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = 512
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 2048
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Minute
	}
	if cfg.MaxAuthFails <= 0 {
		cfg.MaxAuthFails = 10
	}
	s := &Server{cfg: cfg}
	s.conns.MaxConns = cfg.MaxConnections
	return s
}

// Serve accepts connections on l until Close; it returns nil after Close.
// A listener from tls.NewListener gives POP3S: sessions start with TLS
// active and offer no STLS.
func (s *Server) Serve(l net.Listener) error {
	if s.cfg.Store == nil {
		return errors.New("pop3d: Config.Store is required")
	}
	return s.conns.Serve(l, func(c net.Conn) {
		sess := newSession(s, c)
		sess.serve()
		serverkit.EndTLS(sess.conn)
		serverkit.PutReader(sess.br)
	})
}

// Close stops every listener and session and waits for their goroutines.
// Sessions are cut without entering the UPDATE state, so nothing marked
// for deletion is removed, as RFC 1939 requires for a lost connection.
func (s *Server) Close() error {
	return s.conns.Close()
}

func (s *Server) insecureAuthAllowed() bool {
	return s.cfg.AllowInsecureAuth == nil || *s.cfg.AllowInsecureAuth
}
