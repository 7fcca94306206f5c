package pop3d

import (
	"testing"

	"github.com/wirebook/wirebook/protocols/internal/sessiontest"
)

// After QUIT an STLS layer ends with close_notify, as Dovecot ends it.
func TestSTLSEndsWithCloseNotify(t *testing.T) {
	addr, _ := start(t, Config{TLS: bundle(t).ServerConfig()}, false)
	if !sessiontest.EndsWithCloseNotify(t, addr, bundle(t).ClientConfig("mail.example.com"), "STLS", "QUIT") {
		t.Errorf("the TLS layer ended without close_notify")
	}
}
