// Package smtpdtest starts an embedded SMTP server on 127.0.0.1 for tests,
// as net/http/httptest does for HTTP.
package smtpdtest

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/wirebook/wirebook/protocols/labtls"
	"github.com/wirebook/wirebook/protocols/mailstore"
	"github.com/wirebook/wirebook/protocols/smtp/smtpd"
)

// Lab is a running server and what a test needs to talk to it.
type Lab struct {
	Addr   string           // host:port on 127.0.0.1
	Store  *mailstore.Store // the server's store
	Server *smtpd.Server
}

// Start runs a server for cfg on 127.0.0.1:0 until the test ends. A nil
// cfg.Store becomes a fresh store with the default users and a StepClock.
func Start(t testing.TB, cfg smtpd.Config) *Lab {
	return start(t, cfg, false)
}

// StartImplicitTLS is Start with the listener wrapped in TLS (smtps);
// cfg.TLS is required.
func StartImplicitTLS(t testing.TB, cfg smtpd.Config) *Lab {
	if cfg.TLS == nil {
		t.Fatal("smtpdtest: StartImplicitTLS needs cfg.TLS")
	}
	return start(t, cfg, true)
}

func start(t testing.TB, cfg smtpd.Config, implicitTLS bool) *Lab {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = mailstore.New(mailstore.Config{Clock: mailstore.NewStepClock()})
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtpdtest: listen: %v", err)
	}
	addr := l.Addr().String()
	if implicitTLS {
		l = tls.NewListener(l, cfg.TLS)
	}
	srv := smtpd.New(cfg)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("smtpdtest: Close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("smtpdtest: Serve: %v", err)
		}
	})
	return &Lab{Addr: addr, Store: cfg.Store, Server: srv}
}

// TLS returns a fresh lab CA and server certificate, and the path of the CA
// PEM in a temporary directory (for curl --cacert or Python's cafile).
func TLS(t testing.TB) (bundle *labtls.Bundle, caFile string) {
	t.Helper()
	b, err := labtls.New()
	if err != nil {
		t.Fatalf("smtpdtest: %v", err)
	}
	caFile = filepath.Join(t.TempDir(), "lab-ca.pem")
	if err := os.WriteFile(caFile, b.CAPEM, 0o600); err != nil {
		t.Fatalf("smtpdtest: %v", err)
	}
	return b, caFile
}

// Inbox returns the messages in user's INBOX.
func (l *Lab) Inbox(t testing.TB, user string) []mailstore.Message {
	t.Helper()
	msgs, _, err := l.Store.Messages(user, "INBOX")
	if err != nil {
		t.Fatalf("smtpdtest: Messages(%q): %v", user, err)
	}
	return msgs
}
