// Package labtls makes the certificate authority and server certificate of
// the embedded lab servers. They are generated on first use and kept in the
// user's cache directory, so a student can trust the lab CA once
// (curl --cacert, ssl.create_default_context(cafile=...)).
package labtls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/wirebook/wirebook/internal/atomicfile"
)

// Names are the DNS names the lab server certificate is valid for.
var Names = []string{"localhost", "mail.example.com", "www.example.com", "example.com"}

// Bundle is a lab CA and a server certificate it signed.
type Bundle struct {
	CAPEM    []byte         // the CA certificate, PEM
	CAFile   string         // where CAPEM is stored; "" for an in-memory bundle
	CertPool *x509.CertPool // trusts the CA only
	Cert     tls.Certificate
}

// ServerConfig returns a TLS configuration for an embedded server.
func (b *Bundle) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{b.Cert}, MinVersion: tls.VersionTLS12}
}

// ClientConfig returns a client configuration that trusts only the lab CA,
// for serverName (one of Names, or "127.0.0.1").
func (b *Bundle) ClientConfig(serverName string) *tls.Config {
	return &tls.Config{RootCAs: b.CertPool, ServerName: serverName, MinVersion: tls.VersionTLS12}
}

// DefaultDir is where Load keeps the lab CA: $XDG_CACHE_HOME/wirebook/tls
// or the platform's equivalent.
func DefaultDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("labtls: no cache directory: %w", err)
	}
	return filepath.Join(dir, "wirebook", "tls"), nil
}

const (
	caFile   = "lab-ca.pem"
	certFile = "lab-server.pem"
	keyFile  = "lab-server-key.pem"
)

// Load reads the bundle kept in dir, or generates and stores a new one when
// there is none or it is unreadable or expiring.
func Load(dir string) (*Bundle, error) {
	if b, err := read(dir); err == nil {
		return b, nil
	}
	b, certPEM, keyPEM, err := generate()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("labtls: %w", err)
	}
	for name, data := range map[string][]byte{keyFile: keyPEM, certFile: certPEM, caFile: b.CAPEM} {
		if err := writeAtomic(filepath.Join(dir, name), data); err != nil {
			return nil, err
		}
	}
	b.CAFile = filepath.Join(dir, caFile)
	return b, nil
}

// New generates an in-memory bundle (tests).
func New() (*Bundle, error) {
	b, _, _, err := generate()
	return b, err
}

func read(dir string) (*Bundle, error) {
	caPEM, err := os.ReadFile(filepath.Join(dir, caFile))
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, certFile), filepath.Join(dir, keyFile))
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, err
	}
	if time.Until(leaf.NotAfter) < 30*24*time.Hour {
		return nil, errors.New("labtls: certificate expires soon")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("labtls: bad CA file")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		return nil, err
	}
	return &Bundle{CAPEM: caPEM, CAFile: filepath.Join(dir, caFile), CertPool: pool, Cert: cert}, nil
}

func generate() (*Bundle, []byte, []byte, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("labtls: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "wirebook lab CA", Organization: []string{"wirebook"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("labtls: %w", err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("labtls: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "mail.example.com", Organization: []string{"wirebook lab"}},
		DNSNames:     Names,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("labtls: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("labtls: %w", err)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("labtls: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &Bundle{CAPEM: caPEM, CertPool: pool, Cert: cert}, certPEM, keyPEM, nil
}

// writeAtomic writes data so that a killed process never leaves half a key
// behind.
func writeAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("labtls: %w", err)
	}
	return nil
}
