package serverkit

import (
	"crypto/tls"
	"net"
	"time"
)

// EndTLS ends a session's TLS layer with a close_notify alert, as Postfix
// and Dovecot do at QUIT/LOGOUT. The tracker closes only the connection it
// accepted; a layer begun by STARTTLS/STLS over it would otherwise end
// with a bare TCP close, which OpenSSL 3 clients (openssl s_client)
// report as "unexpected eof while reading". c is the session's current
// connection; nothing happens when it is not TLS.
func EndTLS(c net.Conn) {
	tc, ok := c.(*tls.Conn)
	if !ok || !tc.ConnectionState().HandshakeComplete {
		return
	}
	// A client that stopped reading must not hold the session.
	_ = tc.SetWriteDeadline(time.Now().Add(time.Second))
	_ = tc.CloseWrite()
}
