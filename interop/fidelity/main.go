// Command fidelity plays the same client sessions against wirebook's
// embedded lab servers and against real Postfix, Dovecot and nginx (started
// by interop/up.sh) and reports where the embedded servers behave
// differently: reply classes and codes, multi-line shapes, which commands
// are accepted in which state, dropped connections. It is a report: it
// exits 0 once it has run, 1 only when it cannot run at all.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/wirebook/wirebook/protocols/labserver"
	"github.com/wirebook/wirebook/protocols/labtls"
)

// realPorts are the loopback ports interop/up.sh serves (the `real`
// environment of wirebook.yaml).
var realPorts = map[string]int{
	"smtp": 10025, "smtps": 10465, "submission": 10587,
	"pop3": 10110, "pop3s": 10995, "imap": 10143, "imaps": 10993,
	"http": 10080, "https": 10443,
}

var realNames = map[string]string{"smtp": "Postfix", "pop3": "Dovecot", "imap": "Dovecot", "http": "nginx"}

func main() {
	host := flag.String("real-host", "127.0.0.1", "address of the real servers")
	caFile := flag.String("real-ca", "/tmp/wirebook-interop/ca.pem", "CA certificate of the real servers")
	only := flag.String("only", "", "comma-separated protocols to compare (smtp,pop3,imap,http); all when empty")
	verbose := flag.Bool("v", false, "also print the steps where both servers agree")
	flag.Parse()
	if err := run(*host, *caFile, *only, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "fidelity:", err)
		os.Exit(1)
	}
}

func run(host, caFile, only string, verbose bool) error {
	bundle, err := labtls.New()
	if err != nil {
		return err
	}
	set, err := labserver.Start(labserver.Config{TLS: bundle})
	if err != nil {
		return err
	}
	defer set.Close()

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(bundle.CAPEM)
	realCA, err := os.ReadFile(caFile)
	if err != nil {
		return fmt.Errorf("real servers' CA: %w (run interop/up.sh first)", err)
	}
	if !pool.AppendCertsFromPEM(realCA) {
		return fmt.Errorf("%s: no PEM certificate", caFile)
	}
	tlsCfg := &tls.Config{RootCAs: pool, ServerName: "mail.example.com", MinVersion: tls.VersionTLS12}

	realAddr := func(service string) string {
		return net.JoinHostPort(host, strconv.Itoa(realPorts[service]))
	}
	for _, svc := range []string{"smtp", "pop3", "imap", "http"} {
		c, err := net.Dial("tcp", realAddr(svc))
		if err != nil {
			return fmt.Errorf("real %s server: %w (run interop/up.sh first)", svc, err)
		}
		c.Close()
	}

	// Both alice mailboxes start with the same two messages, so counts,
	// listings and searches can be compared.
	if err := seed(set.Addr("smtp"), set.Addr("pop3"), tlsCfg, 0); err != nil {
		return fmt.Errorf("embedded servers: %w", err)
	}
	if err := seed(realAddr("smtp"), realAddr("pop3"), tlsCfg, deliveryWait); err != nil {
		return fmt.Errorf("real servers: %w", err)
	}

	groups := []struct {
		proto    string
		sessions []session
	}{
		{"smtp", smtpSessions()},
		{"pop3", pop3Sessions()},
		{"imap", imapSessions()},
		{"http", httpSessions()},
	}
	fmt.Println("wirebook fidelity report: the embedded lab servers against real ones")
	fmt.Printf("embedded: protocols/labserver; real: Postfix, Dovecot and nginx on %s (interop/up.sh)\n", host)
	fmt.Println("VISIBLE = a student sees something else happen; detail = same outcome, other wording or extras")
	totalVisible, totalMinor := 0, 0
	for _, g := range groups {
		if only != "" && !strings.Contains(","+only+",", ","+g.proto+",") {
			continue
		}
		fmt.Printf("\n=== %s (real: %s) ===\n", strings.ToUpper(g.proto), realNames[g.proto])
		for _, sess := range g.sessions {
			embedded := runSession(sess, set.Addr(sess.service), tlsCfg)
			real := runSession(sess, realAddr(sess.service), tlsCfg)
			v, m := report(sess, embedded, real, verbose)
			totalVisible += v
			totalMinor += m
		}
	}
	fmt.Printf("\n%d visible differences, %d details\n", totalVisible, totalMinor)
	return nil
}

// report prints the differing steps of one session and counts them.
func report(sess session, embedded, real []outcome, verbose bool) (visible, minor int) {
	header := false
	for i, st := range sess.steps {
		diffs := compare(sess.proto, st, embedded[i], real[i])
		if len(diffs) == 0 && !verbose {
			continue
		}
		if !header {
			fmt.Printf("\n-- %s [%s]\n", sess.name, sess.service)
			header = true
		}
		fmt.Printf("  C: %s\n", st)
		fmt.Printf("     embedded: %s\n", summary(embedded[i]))
		fmt.Printf("     real:     %s\n", summary(real[i]))
		for _, d := range diffs {
			mark := "detail "
			if d.visible {
				mark = "VISIBLE"
				visible++
			} else {
				minor++
			}
			fmt.Printf("     %s %s\n", mark, d.what)
		}
	}
	return visible, minor
}

// summary shows a reply in one line: its final line, and how many lines
// came before it.
func summary(o outcome) string {
	switch {
	case o.skipped:
		return "(not sent: the connection had ended)"
	case o.err != "":
		return "(error: " + o.err + ")"
	case len(o.lines) == 0 && o.closed:
		return "(connection closed, no reply)"
	}
	s := o.final()
	if len(o.lines) > 1 && !strings.HasPrefix(o.lines[0], "+OK") {
		s = fmt.Sprintf("%s  (+%d lines before)", s, len(o.lines)-1)
	} else if len(o.lines) > 1 {
		s = fmt.Sprintf("%s  (+%d body lines)", o.lines[0], len(o.lines)-1)
	}
	if o.closed {
		s += "  (then closed)"
	}
	if len(s) > 150 {
		s = s[:147] + "..."
	}
	return s
}
