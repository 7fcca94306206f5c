package imapd

import (
	"testing"

	"github.com/wirebook/wirebook/protocols/internal/sessiontest"
)

// After LOGOUT a STARTTLS layer ends with close_notify, as Dovecot ends it.
func TestSTARTTLSEndsWithCloseNotify(t *testing.T) {
	ts := newTestServer(t, serverOptions{tls: true})
	if !sessiontest.EndsWithCloseNotify(t, ts.addr, ts.bundle.ClientConfig("mail.example.com"), "a STARTTLS", "b LOGOUT") {
		t.Errorf("the TLS layer ended without close_notify")
	}
}
