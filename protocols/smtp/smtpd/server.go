// Package smtpd is the embedded SMTP server of the wirebook labs: a small,
// deterministic, local-delivery-only ESMTP server (RFC 5321) with
// PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES, STARTTLS and AUTH
// PLAIN/LOGIN, writing accepted mail into a shared mailstore.Store.
//
// It never relays: recipients outside the store's domain are refused at
// RCPT. Queue ids are sequential and dates come from the store's clock, so a
// lab gives the same transcript on every run. VRFY never confirms or denies
// an account (252, as Postfix does), since an answer would help spammers
// harvest addresses.
package smtpd

import (
	"crypto/tls"
	"net"
	"sync/atomic"
	"time"

	"github.com/wirebook/wirebook/protocols/internal/serverkit"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

// Config configures a Server. Zero limits take the defaults below.
type Config struct {
	Hostname string           // shown in the greeting and EHLO; default "mail.example.com"
	Store    *mailstore.Store // required: where accepted mail goes
	TLS      *tls.Config      // nil: STARTTLS is not offered

	// Submission is port 587 behaviour: MAIL needs a successful AUTH first.
	Submission bool
	// AllowInsecureAuth offers AUTH on a connection without TLS (loopback
	// labs). Without it, as Postfix's smtpd_tls_auth_only, AUTH appears only
	// after STARTTLS or on an implicit-TLS connection.
	AllowInsecureAuth bool

	MaxMessageSize int           // largest message in bytes; default Store.MaxMessage()
	MaxLine        int           // longest command line kept, line end included; default 2048 (Postfix's line_length_limit)
	MaxRecipients  int           // per message; default 100
	MaxConnections int           // sessions at once; more clients wait (serverkit.Tracker); default 2048
	MaxErrors      int           // error replies before the server hangs up; default 20
	IdleTimeout    time.Duration // longest wait for a client line; default 5 minutes

	// QueueIDs, when set, numbers queued messages; servers sharing one
	// store share one counter so that their queue ids never collide.
	QueueIDs *atomic.Uint64
}

// Defaults for zero Config fields.
const (
	DefaultHostname       = "mail.example.com"
	DefaultMaxLine        = 2048
	DefaultMaxRecipients  = 100
	DefaultMaxConnections = 2048
	DefaultMaxErrors      = 20
	DefaultIdleTimeout    = 5 * time.Minute
)

// Server is an SMTP server. One Server may Serve several listeners (a plain
// one and an implicit-TLS one) that share its queue ids and limits.
type Server struct {
	cfg Config

	conns serverkit.Tracker

	lastQueueID atomic.Uint64
}

// New returns a server for cfg. It panics if cfg.Store is nil, a
// programming error.
func New(cfg Config) *Server {
	if cfg.Store == nil {
		panic("smtpd: Config.Store is required")
	}
	if cfg.Hostname == "" {
		cfg.Hostname = DefaultHostname
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = cfg.Store.MaxMessage()
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = DefaultMaxLine
	}
	if cfg.MaxRecipients <= 0 {
		cfg.MaxRecipients = DefaultMaxRecipients
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.MaxErrors <= 0 {
		cfg.MaxErrors = DefaultMaxErrors
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	s := &Server{cfg: cfg}
	s.conns.MaxConns = cfg.MaxConnections
	return s
}

// Serve accepts connections on l until Close, and returns nil then. A
// listener from tls.NewListener gives implicit TLS (smtps).
func (s *Server) Serve(l net.Listener) error {
	return s.conns.Serve(l, func(c net.Conn) {
		sess := newSession(s, c)
		sess.run()
		serverkit.EndTLS(sess.conn)
		sess.release()
	})
}

// Close stops every listener and session and waits for the sessions to end.
func (s *Server) Close() error {
	return s.conns.Close()
}

// nextQueueID returns a queue id that looks like one but is sequential, so
// transcripts are reproducible.
func (s *Server) nextQueueID() string {
	if s.cfg.QueueIDs != nil {
		return formatQueueID(s.cfg.QueueIDs.Add(1))
	}
	return formatQueueID(s.lastQueueID.Add(1))
}
