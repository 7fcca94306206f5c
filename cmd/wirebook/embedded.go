package main

import (
	"context"
	"crypto/tls"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/protocols/labserver"
	"github.com/wirebook/wirebook/protocols/labtls"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

// embeddedProvider starts a fresh lab server set (own store, fixed clock)
// for each lab, all sharing one lab CA.
type embeddedProvider struct {
	once   sync.Once
	bundle *labtls.Bundle
	err    error
}

func newEmbeddedProvider() *embeddedProvider { return &embeddedProvider{} }

func (p *embeddedProvider) tlsBundle() (*labtls.Bundle, error) {
	p.once.Do(func() {
		dir, err := labtls.DefaultDir()
		if err != nil {
			p.bundle, p.err = labtls.New()
			return
		}
		p.bundle, p.err = labtls.Load(dir)
	})
	return p.bundle, p.err
}

func (p *embeddedProvider) Start(setup engine.Setup) (engine.EmbeddedSet, error) {
	b, err := p.tlsBundle()
	if err != nil {
		return nil, err
	}
	// A lab's servers listen as its blocks first ask for them.
	cfg := labserver.Config{TLS: b, OnDemand: true, NoKeepAlive: true}
	if setup.WebRoot != "" {
		cfg.WebRoot = os.DirFS(setup.WebRoot)
	}
	for _, f := range setup.Fixtures {
		cfg.Fixtures = append(cfg.Fixtures, labserver.Fixture{User: f.User, Mailbox: f.Mailbox, Flags: f.Flags, Data: f.Data})
	}
	set, err := labserver.Start(cfg)
	if err != nil {
		return nil, err
	}
	return &embeddedSet{Set: set, bundle: b}, nil
}

type embeddedSet struct {
	*labserver.Set
	bundle *labtls.Bundle
}

func (s *embeddedSet) ClientTLS(name string) *tls.Config { return s.bundle.ClientConfig(name) }
func (s *embeddedSet) Hostname() string                  { return "mail." + mailstore.DefaultDomain }
func (s *embeddedSet) Credentials() (string, string) {
	u := mailstore.DefaultUsers[0]
	return u.Name, u.Password
}

// untilInterrupted returns a channel closed on Ctrl-C or SIGTERM; tests
// replace it.
var untilInterrupted = func() (<-chan struct{}, func()) {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return ctx.Done(), cancel
}

// CAFile and CAPEM give a lab's code the CA to trust (CA_FILE).
func (s *embeddedSet) CAFile() string { return s.bundle.CAFile }
func (s *embeddedSet) CAPEM() []byte  { return s.bundle.CAPEM }
