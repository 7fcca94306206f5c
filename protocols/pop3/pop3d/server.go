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
	"sync"
	"time"

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
	MaxConnections int           // concurrent sessions; default 100
	IdleTimeout    time.Duration // autologout timer; default 10 minutes (RFC 1939 minimum)
	MaxAuthFails   int           // failed logins before disconnecting; default 10
}

// Server is a POP3 server over a mailstore.
type Server struct {
	cfg Config

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	wg        sync.WaitGroup
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
		cfg.MaxConnections = 100
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Minute
	}
	if cfg.MaxAuthFails <= 0 {
		cfg.MaxAuthFails = 10
	}
	return &Server{cfg: cfg, listeners: map[net.Listener]struct{}{}, conns: map[net.Conn]struct{}{}}
}

// Serve accepts connections on l until Close; it returns nil after Close.
// A listener from tls.NewListener gives POP3S: sessions start with TLS
// active and offer no STLS.
func (s *Server) Serve(l net.Listener) error {
	if s.cfg.Store == nil {
		return errors.New("pop3d: Config.Store is required")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return nil
	}
	s.listeners[l] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			return err
		}
		if !s.track(c) {
			continue
		}
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			newSession(s, c).serve()
		}()
	}
}

// track registers c and reserves a goroutine for it; a connection over the
// limit, or arriving during Close, is turned away at once.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return false
	}
	if len(s.conns) >= s.cfg.MaxConnections {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, _ = c.Write([]byte("-ERR [SYS/TEMP] Too many connections, try again later.\r\n"))
			c.Close()
		}()
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Close stops every listener and session and waits for their goroutines.
// Sessions are cut without entering the UPDATE state, so nothing marked
// for deletion is removed, as RFC 1939 requires for a lost connection.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *Server) insecureAuthAllowed() bool {
	return s.cfg.AllowInsecureAuth == nil || *s.cfg.AllowInsecureAuth
}
