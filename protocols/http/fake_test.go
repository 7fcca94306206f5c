package http

import (
	"crypto/tls"
	"testing"

	"github.com/wirebook/wirebook/protocols"
	"github.com/wirebook/wirebook/protocols/internal/fakeserver"
	"github.com/wirebook/wirebook/protocols/internal/sessiontest"
)

// Short names for the fake server's script steps, to keep tables readable.
type step = fakeserver.Step

var (
	say       = fakeserver.Say
	hear      = fakeserver.Hear
	hangUp    = fakeserver.HangUp
	hearBytes = fakeserver.HearBytes
)

// fakeServer plays steps to the first client on 127.0.0.1 and returns the
// address to dial.
func fakeServer(t *testing.T, steps ...fakeserver.Step) string {
	t.Helper()
	return fakeserver.Play(t, steps...).Addr
}

// Transcript helpers shared with the other client tests.
var (
	script    = sessiontest.Script
	diffLines = sessiontest.DiffLines
)

// run dials addr and plays s with Protocol, returning the transcript. With
// a TLS configuration the session starts with a handshake, as for https.
func run(t *testing.T, addr string, s *protocols.Script, tlsConfig *tls.Config) ([]string, error) {
	t.Helper()
	return sessiontest.Run(t, Protocol{}, addr, s, tlsConfig, tlsConfig != nil)
}
