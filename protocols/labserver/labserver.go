// Package labserver runs the whole set of embedded lab servers in one
// process over one mail store: SMTP (plain, implicit TLS, submission), POP3
// (plain, implicit TLS), IMAP (plain, implicit TLS) and HTTP (plain, TLS).
// Mail sent to the SMTP port is at once visible over POP3 and IMAP.
package labserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wirebook/wirebook/protocols/http/httpd"
	"github.com/wirebook/wirebook/protocols/imap/imapd"
	"github.com/wirebook/wirebook/protocols/labtls"
	"github.com/wirebook/wirebook/protocols/mailstore"
	"github.com/wirebook/wirebook/protocols/pop3/pop3d"
	"github.com/wirebook/wirebook/protocols/smtp/smtpd"
)

// Fixture is a message put in a mailbox before the servers start.
type Fixture struct {
	User    string // "alice" or "alice@example.com"
	Mailbox string // created if missing; "" means INBOX
	Data    []byte // RFC 5322 text with CRLF line ends
	Flags   []string
}

// Config configures a Set. Zero fields take the lab defaults.
type Config struct {
	Hostname string           // the servers' name; default "mail.example.com"
	Users    []mailstore.User // default mailstore.DefaultUsers
	Domain   string           // default mailstore.DefaultDomain
	TLS      *labtls.Bundle   // nil: labtls.Load(labtls.DefaultDir())
	WebRoot  fs.FS            // static web files; nil: httpd's built-in site
	Clock    mailstore.Clock  // nil: mailstore.NewStepClock()
	Addr     string           // host to bind; default "127.0.0.1"
	Fixtures []Fixture
	// Ports gives services fixed ports (see PortsFrom); a service that is
	// missing or 0 gets a free port, as every service of a lab run does.
	Ports map[string]int
	// Store, when set, is the store to serve (one opened on a directory
	// keeps mail across restarts); Users, Domain and Clock are then the
	// store's own. Close does not close it.
	Store *mailstore.Store
	// Autoconfig serves Thunderbird's account autoconfiguration (for the
	// mail domain) at /.well-known/autoconfig/mail/config-v1.1.xml of the
	// web services, naming the host AutoconfigHost (default: Addr).
	Autoconfig     bool
	AutoconfigHost string
	// OnDemand starts each service when Addr is first asked for it,
	// rather than all of them in Start: a lab run uses one or two of the
	// nine, and a listener costs some ten system calls to open and close.
	// A service nobody asked for never listens.
	OnDemand bool
	// NoKeepAlive accepts connections without TCP keepalive: a lab run's
	// sessions last milliseconds, and keepalive costs four system calls a
	// connection. `wirebook servers`, whose clients may idle, keeps it.
	NoKeepAlive bool
}

// ListenError says that a service could not get its port.
type ListenError struct {
	Service string
	Addr    string // host:port asked for
	Err     error
}

func (e *ListenError) Error() string {
	return fmt.Sprintf("labserver: %s: cannot listen on %s: %v", e.Service, e.Addr, e.Err)
}

func (e *ListenError) Unwrap() error { return e.Err }

// StandardPorts are the well-known ports of the services; PortsFrom adds a
// base to them so that a student's fixed ports are easy to remember.
var StandardPorts = map[string]int{
	SMTP: 25, SMTPS: 465, Submission: 587,
	POP3: 110, POP3S: 995, IMAP: 143, IMAPS: 993,
	HTTP: 80, HTTPS: 443,
}

// PortsFrom returns each service's standard port plus base (base 20000:
// smtp 20025, imaps 20993, https 20443); base 0 gives free ports.
func PortsFrom(base int) map[string]int {
	out := map[string]int{}
	for svc, p := range StandardPorts {
		if base != 0 {
			out[svc] = base + p
		}
	}
	return out
}

// Service names, in the order Services lists them.
const (
	SMTP       = "smtp"
	SMTPS      = "smtps"
	Submission = "submission"
	POP3       = "pop3"
	POP3S      = "pop3s"
	IMAP       = "imap"
	IMAPS      = "imaps"
	HTTP       = "http"
	HTTPS      = "https"
)

var serviceOrder = []string{SMTP, SMTPS, Submission, POP3, POP3S, IMAP, IMAPS, HTTP, HTTPS}

// Set is a running set of lab servers.
type Set struct {
	store  *mailstore.Store
	bundle *labtls.Bundle
	addrs  map[string]string

	closers []func() error // servers, stopped in reverse order
	wg      sync.WaitGroup

	mu        sync.Mutex
	addr      string             // host the services listen on
	listen    net.ListenConfig   // how they listen
	ports     map[string]int     // cfg.Ports
	tlsCfg    *tls.Config        // the implicit-TLS services'
	waiting   map[string]planned // OnDemand services not yet listening
	listeners []net.Listener     // guarded by mu
	closed    bool               // Close has begun: nothing more listens
	serveErrs []error            // servers that stopped on their own
	closeOnce sync.Once
	closeErr  error
}

// planned is a service of the set and the server that serves it.
type planned struct {
	service string
	tls     bool
	serve   func(net.Listener) error
}

// Start fills a store with the fixtures and starts every service on a free
// port of cfg.Addr. On error nothing is left running.
func Start(cfg Config) (*Set, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1"
	}
	if cfg.Clock == nil {
		cfg.Clock = mailstore.NewStepClock()
	}
	bundle := cfg.TLS
	if bundle == nil {
		dir, err := labtls.DefaultDir()
		if err != nil {
			return nil, fmt.Errorf("labserver: %w", err)
		}
		if bundle, err = labtls.Load(dir); err != nil {
			return nil, fmt.Errorf("labserver: %w", err)
		}
	}
	store := cfg.Store
	if store == nil {
		store = mailstore.New(mailstore.Config{Domain: cfg.Domain, Users: cfg.Users, Clock: cfg.Clock})
	}
	if err := addFixtures(store, cfg.Fixtures); err != nil {
		return nil, err
	}
	s := &Set{store: store, bundle: bundle, addrs: map[string]string{}}
	if err := s.startAll(cfg); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func addFixtures(store *mailstore.Store, fixtures []Fixture) error {
	for i, f := range fixtures {
		user, ok := fixtureUser(store, f.User)
		if !ok {
			return fmt.Errorf("labserver: fixture %d: no such user %q", i+1, f.User)
		}
		mailbox := f.Mailbox
		if mailbox == "" {
			mailbox = "INBOX"
		}
		if err := store.CreateMailbox(user, mailbox); err != nil && !errors.Is(err, mailstore.ErrMailboxExists) {
			return fmt.Errorf("labserver: fixture %d: %w", i+1, err)
		}
		if _, err := store.Append(user, mailbox, f.Flags, time.Time{}, f.Data); err != nil {
			return fmt.Errorf("labserver: fixture %d: %w", i+1, err)
		}
	}
	return nil
}

// fixtureUser maps "alice" or "alice@domain" to the store's account name.
func fixtureUser(store *mailstore.Store, name string) (string, bool) {
	if strings.Contains(name, "@") {
		return store.LocalUser(name)
	}
	return store.LocalUser(name + "@" + store.Domain())
}

func (s *Set) startAll(cfg Config) error {
	tlsCfg := s.bundle.ServerConfig()
	// The defaults mirror the reference lab: Postfix allows AUTH only under
	// TLS (smtpd_tls_auth_only), Dovecot allows plaintext auth on loopback.
	queueIDs := new(atomic.Uint64) // one sequence for every SMTP port of the set
	smtp := smtpd.New(smtpd.Config{Hostname: cfg.Hostname, Store: s.store, TLS: tlsCfg, QueueIDs: queueIDs})
	submission := smtpd.New(smtpd.Config{Hostname: cfg.Hostname, Store: s.store, TLS: tlsCfg, Submission: true, QueueIDs: queueIDs})
	pop3 := pop3d.New(pop3d.Config{Hostname: cfg.Hostname, Store: s.store, TLS: tlsCfg})
	imap := imapd.New(imapd.Config{Hostname: cfg.Hostname, Store: s.store, TLS: tlsCfg})
	var handler http.Handler = httpd.New(httpd.Config{Root: cfg.WebRoot, Clock: cfg.Clock})
	if cfg.Autoconfig {
		handler = s.withAutoconfig(handler, cfg)
	}
	web := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// "OPTIONS *" goes to httpd, which answers 400 as nginx does.
		DisableGeneralOptionsHandler: true,
		// A student's curl without --cacert makes net/http log a handshake
		// error per attempt; the lab transcript shows that failure already.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	s.closers = []func() error{smtp.Close, submission.Close, pop3.Close, imap.Close, web.Close}

	plan := []planned{
		{SMTP, false, smtp.Serve},
		{SMTPS, true, smtp.Serve},
		{Submission, false, submission.Serve},
		{POP3, false, pop3.Serve},
		{POP3S, true, pop3.Serve},
		{IMAP, false, imap.Serve},
		{IMAPS, true, imap.Serve},
		{HTTP, false, web.Serve},
		{HTTPS, true, web.Serve},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addr, s.ports, s.tlsCfg = cfg.Addr, cfg.Ports, tlsCfg
	if cfg.NoKeepAlive {
		s.listen.KeepAlive = -1
	}
	if cfg.OnDemand {
		s.waiting = map[string]planned{}
		for _, p := range plan {
			s.waiting[p.service] = p
		}
		return nil
	}
	for _, p := range plan {
		if err := s.listenLocked(p); err != nil {
			return err
		}
	}
	return nil
}

// listenLocked opens a service's listener and serves it; called with s.mu
// held.
func (s *Set) listenLocked(p planned) error {
	addr := net.JoinHostPort(s.addr, strconv.Itoa(s.ports[p.service]))
	l, err := s.listen.Listen(context.Background(), "tcp", addr)
	if err != nil {
		var se *os.SyscallError
		if errors.As(err, &se) {
			err = se.Err // "address already in use", without the Go call chain
		}
		return &ListenError{Service: p.service, Addr: addr, Err: err}
	}
	s.listeners = append(s.listeners, l)
	s.addrs[p.service] = l.Addr().String()
	if p.tls {
		l = tls.NewListener(l, s.tlsCfg)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := p.serve(l)
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.mu.Lock()
			s.serveErrs = append(s.serveErrs, fmt.Errorf("labserver: %s: %w", p.service, err))
			s.mu.Unlock()
		}
	}()
	return nil
}

// Addr is the host:port of a service ("smtp", "pop3s", ...), "" if unknown.
// Under OnDemand the first call starts the service; "" if it cannot listen
// (the error is reported by Close).
func (s *Set) Addr(service string) string {
	service = strings.ToLower(service)
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.addrs[service]; ok {
		return a
	}
	p, ok := s.waiting[service]
	if !ok || s.closed {
		return ""
	}
	delete(s.waiting, service)
	if err := s.listenLocked(p); err != nil {
		s.serveErrs = append(s.serveErrs, err)
		return ""
	}
	return s.addrs[service]
}

// Services lists the service names in a stable order: mail from sending to
// reading, then web; plain before TLS.
func (s *Set) Services() []string { return append([]string(nil), serviceOrder...) }

// Store is the mail store every server shares.
func (s *Set) Store() *mailstore.Store { return s.store }

// TLS is the lab CA and server certificate the TLS services present.
func (s *Set) TLS() *labtls.Bundle { return s.bundle }

// Close stops every server, ends every session and waits for them. It
// reports servers that had stopped on their own with an error.
func (s *Set) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true // no service starts from now on
		listeners := s.listeners
		s.mu.Unlock()
		var errs []error
		for _, c := range s.closers {
			if err := c(); err != nil {
				errs = append(errs, err)
			}
		}
		// Listeners a server never got to Serve are closed here.
		for _, l := range listeners {
			l.Close()
		}
		s.wg.Wait()
		s.mu.Lock()
		errs = append(errs, s.serveErrs...)
		s.mu.Unlock()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
