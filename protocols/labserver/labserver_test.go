package labserver

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wirebook/wirebook/protocols/labtls"
)

func startSet(t *testing.T, cfg Config) *Set {
	t.Helper()
	if cfg.TLS == nil {
		b, err := labtls.New()
		if err != nil {
			t.Fatal(err)
		}
		cfg.TLS = b
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// firstLine connects to addr (with TLS verified against the lab CA when
// useTLS) and returns the server's first line.
func firstLine(t *testing.T, s *Set, addr string, useTLS bool) string {
	t.Helper()
	var conn net.Conn
	var err error
	if useTLS {
		conn, err = tls.Dial("tcp", addr, s.TLS().ClientConfig("localhost"))
	} else {
		conn, err = net.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the greeting of %s: %v", addr, err)
	}
	return strings.TrimSuffix(line, "\r\n")
}

func TestEveryServiceAnswers(t *testing.T) {
	s := startSet(t, Config{WebRoot: fstest.MapFS{"index.html": {Data: []byte("<h1>lab home</h1>\n")}}})
	if got, want := s.Services(), []string{"smtp", "smtps", "submission", "pop3", "pop3s", "imap", "imaps", "http", "https"}; !slices.Equal(got, want) {
		t.Fatalf("Services() = %q, want %q", got, want)
	}
	greetings := map[string]struct {
		tls    bool
		prefix string
	}{
		"smtp":       {false, "220 mail.example.com "},
		"smtps":      {true, "220 mail.example.com "},
		"submission": {false, "220 mail.example.com "},
		"pop3":       {false, "+OK wirebook lab POP3 server ready."},
		"pop3s":      {true, "+OK wirebook lab POP3 server ready."},
		"imap":       {false, "* OK "},
		"imaps":      {true, "* OK "},
	}
	seen := map[string]bool{}
	for _, svc := range s.Services() {
		addr := s.Addr(svc)
		host, _, err := net.SplitHostPort(addr)
		if err != nil || host != "127.0.0.1" {
			t.Errorf("Addr(%q) = %q, want 127.0.0.1:port", svc, addr)
		}
		if seen[addr] {
			t.Errorf("Addr(%q) = %q is shared with another service", svc, addr)
		}
		seen[addr] = true
		t.Run(svc, func(t *testing.T) {
			if g, ok := greetings[svc]; ok {
				if got := firstLine(t, s, addr, g.tls); !strings.HasPrefix(got, g.prefix) {
					t.Errorf("%s greeting = %q, want prefix %q", svc, got, g.prefix)
				}
				return
			}
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: s.TLS().ClientConfig("localhost")}}
			resp, err := client.Get(svc + "://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "lab home") {
				t.Errorf("GET %s://%s/ = %d %q, want 200 with the web root's index", svc, addr, resp.StatusCode, body)
			}
			if got := resp.Proto; got != "HTTP/1.1" {
				t.Errorf("protocol = %s, want HTTP/1.1", got)
			}
		})
	}
	if got := s.Addr("gopher"); got != "" {
		t.Errorf("Addr(gopher) = %q, want empty", got)
	}
}

func TestFixtures(t *testing.T) {
	s := startSet(t, Config{Fixtures: []Fixture{
		{User: "alice", Data: []byte("Subject: a\r\n\r\nx\r\n")},
		{User: "alice@example.com", Mailbox: "Archive", Data: []byte("Subject: b\r\n\r\ny\r\n"), Flags: []string{`\Seen`}},
		{User: "bob", Mailbox: "INBOX", Data: []byte("Subject: c\r\n\r\nz\r\n")},
	}})
	tests := []struct {
		user, mailbox string
		wantSubjects  []string
		wantSeen      bool
	}{
		{"alice", "INBOX", []string{"Subject: a"}, false},
		{"alice", "Archive", []string{"Subject: b"}, true},
		{"bob", "INBOX", []string{"Subject: c"}, false},
	}
	for _, tt := range tests {
		msgs, _, err := s.Store().Messages(tt.user, tt.mailbox)
		if err != nil {
			t.Fatalf("Messages(%s, %s): %v", tt.user, tt.mailbox, err)
		}
		var got []string
		for _, m := range msgs {
			got = append(got, strings.SplitN(string(m.Data), "\r\n", 2)[0])
			if m.HasFlag(`\Seen`) != tt.wantSeen {
				t.Errorf("%s/%s flags = %v, want \\Seen %v", tt.user, tt.mailbox, m.Flags, tt.wantSeen)
			}
		}
		if !slices.Equal(got, tt.wantSubjects) {
			t.Errorf("%s/%s holds %q, want %q", tt.user, tt.mailbox, got, tt.wantSubjects)
		}
	}
}

func TestBadFixtureStartsNothing(t *testing.T) {
	b, err := labtls.New()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(Config{TLS: b, Fixtures: []Fixture{{User: "mallory", Data: []byte("x")}}})
	if err == nil {
		s.Close()
		t.Fatal("Start with a fixture for an unknown user succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "fixture 1") || !strings.Contains(err.Error(), "mallory") {
		t.Errorf("error %q does not say which fixture", err)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	b, err := labtls.New()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(Config{TLS: b})
	if err != nil {
		t.Fatal(err)
	}
	// An open session must not keep Close waiting.
	conn, err := net.Dial("tcp", s.Addr("imap"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, svc := range s.Services() {
		if c, err := net.Dial("tcp", s.Addr(svc)); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Close", svc)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestDefaultTLSComesFromTheCacheDir(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)
	s, err := Start(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, want := s.TLS().CAFile, filepath.Join(cache, "wirebook", "tls", "lab-ca.pem"); got != want {
		t.Errorf("TLS().CAFile = %q, want %q", got, want)
	}
	if got := firstLine(t, s, s.Addr("pop3s"), true); !strings.HasPrefix(got, "+OK") {
		t.Errorf("pop3s greeting with the default bundle = %q", got)
	}
}

const crossProtocol = `
import imaplib, json, poplib, smtplib, ssl, sys
ports = json.loads(sys.argv[1])
ctx = ssl.create_default_context(cafile=sys.argv[2])
out = {}
with smtplib.SMTP("127.0.0.1", ports["smtp"], timeout=10) as s:
    s.ehlo("client.example.com")
    out["refused"] = s.sendmail("bob@example.com", ["alice@example.com"],
        "From: bob@example.com\r\nTo: alice@example.com\r\nSubject: cross-protocol\r\n\r\nHello Alice.\r\n")
p = poplib.POP3("127.0.0.1", ports["pop3"], timeout=10)
p.stls(ctx)
p.user("alice")
p.pass_("alice-pw")
out["pop3_stat"] = p.stat()[0]
out["pop3_subject"] = [l.decode() for l in p.retr(1)[1] if l.startswith(b"Subject:")]
p.quit()
m = imaplib.IMAP4_SSL("127.0.0.1", ports["imaps"], ssl_context=ctx, timeout=10)
m.login("alice@example.com", "alice-pw")
typ, data = m.select("INBOX")
out["imap_exists"] = int(data[0])
typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
out["imap_subject"] = data[0][1].decode().strip()
m.logout()
print(json.dumps(out))
`

func TestCrossProtocolWithPython(t *testing.T) {
	s := startSet(t, Config{})
	ports := map[string]int{}
	for _, svc := range []string{"smtp", "pop3", "imaps"} {
		_, p, _ := net.SplitHostPort(s.Addr(svc))
		ports[svc] = atoi(t, p)
	}
	portsJSON, _ := json.Marshal(ports)
	ca := filepath.Join(t.TempDir(), "lab-ca.pem")
	if err := os.WriteFile(ca, s.TLS().CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", "-c", crossProtocol, string(portsJSON), ca)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	var got struct {
		Refused     map[string]any
		POP3Stat    int      `json:"pop3_stat"`
		POP3Subject []string `json:"pop3_subject"`
		IMAPExists  int      `json:"imap_exists"`
		IMAPSubject string   `json:"imap_subject"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
	if len(got.Refused) != 0 {
		t.Errorf("smtplib refused recipients: %v", got.Refused)
	}
	if got.POP3Stat != 1 || !slices.Equal(got.POP3Subject, []string{"Subject: cross-protocol"}) {
		t.Errorf("POP3 saw %d messages with %q, want 1 with Subject: cross-protocol", got.POP3Stat, got.POP3Subject)
	}
	if got.IMAPExists != 1 || got.IMAPSubject != "Subject: cross-protocol" {
		t.Errorf("IMAP saw %d messages with %q, want 1 with Subject: cross-protocol", got.IMAPExists, got.IMAPSubject)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("port %q: %v", s, err)
	}
	return n
}

func TestPortsFromAddsTheBaseToStandardPorts(t *testing.T) {
	p := PortsFrom(20000)
	want := map[string]int{"smtp": 20025, "smtps": 20465, "submission": 20587, "pop3": 20110, "pop3s": 20995, "imap": 20143, "imaps": 20993, "http": 20080, "https": 20443}
	for svc, port := range want {
		if p[svc] != port {
			t.Errorf("PortsFrom(20000)[%s] = %d, want %d", svc, p[svc], port)
		}
	}
	if len(PortsFrom(0)) != 0 {
		t.Errorf("PortsFrom(0) = %v, want no fixed port", PortsFrom(0))
	}
}

func TestTakenPortNamesTheServiceAndLeavesNothingRunning(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	b, err := labtls.New()
	if err != nil {
		t.Fatal(err)
	}
	// smtp gets a free port first; imap's is taken.
	_, err = Start(Config{TLS: b, Ports: map[string]int{"imap": port}})
	var le *ListenError
	if !errors.As(err, &le) || le.Service != "imap" || le.Addr != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("Start with a taken port = %v, want a ListenError for imap on port %d", err, port)
	}
	if !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("error %q does not say the address is in use", err)
	}
}

func TestFixedPortsAreUsed(t *testing.T) {
	// Free ports found by the kernel, then given back to be asked for.
	var ports []int
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
		l.Close()
	}
	s := startSet(t, Config{Ports: map[string]int{"smtp": ports[0], "https": ports[1]}})
	if got, want := s.Addr("smtp"), "127.0.0.1:"+strconv.Itoa(ports[0]); got != want {
		t.Errorf("smtp at %s, want %s", got, want)
	}
	if got, want := s.Addr("https"), "127.0.0.1:"+strconv.Itoa(ports[1]); got != want {
		t.Errorf("https at %s, want %s", got, want)
	}
	if !strings.HasPrefix(firstLine(t, s, s.Addr("smtp"), false), "220 ") {
		t.Error("smtp on its fixed port does not greet")
	}
}

func TestAutoconfigNamesTheSetsPorts(t *testing.T) {
	s := startSet(t, Config{Autoconfig: true, Domain: "lab.test"})
	resp, err := http.Get("http://" + s.Addr("http") + AutoconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") {
		t.Fatalf("autoconfig: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	var cfg struct {
		Domain   string `xml:"emailProvider>domain"`
		Incoming []struct {
			Type   string `xml:"type,attr"`
			Host   string `xml:"hostname"`
			Port   int    `xml:"port"`
			Socket string `xml:"socketType"`
		} `xml:"emailProvider>incomingServer"`
	}
	if err := xml.Unmarshal(body, &cfg); err != nil {
		t.Fatalf("autoconfig is not XML: %v\n%s", err, body)
	}
	_, imaps, _ := net.SplitHostPort(s.Addr("imaps"))
	if cfg.Domain != "lab.test" || len(cfg.Incoming) == 0 || cfg.Incoming[0].Type != "imap" || cfg.Incoming[0].Host != "127.0.0.1" ||
		strconv.Itoa(cfg.Incoming[0].Port) != imaps || cfg.Incoming[0].Socket != "SSL" {
		t.Errorf("autoconfig = %+v, want IMAP over SSL on 127.0.0.1:%s for lab.test\n%s", cfg, imaps, body)
	}
	// Without Autoconfig the path is the web root's, as before.
	plain := startSet(t, Config{})
	resp, err = http.Get("http://" + plain.Addr("http") + AutoconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("autoconfig without Autoconfig: %s, want 404", resp.Status)
	}
}

// "OPTIONS *" reaches httpd, which answers 400 as nginx does; Go's own
// handler would say 200.
func TestOptionsStarAsNginx(t *testing.T) {
	s := startSet(t, Config{})
	conn, err := net.Dial("tcp", s.Addr("http"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, "OPTIONS * HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\n\r\n")
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || line != "HTTP/1.1 400 Bad Request\r\n" {
		t.Errorf("OPTIONS * = %q, %v; want 400", line, err)
	}
}

// OnDemand: a service listens once Addr asks for it, and only then; it
// serves like an eager one; after Close nothing starts.
func TestOnDemandListensWhenAsked(t *testing.T) {
	s := startSet(t, Config{OnDemand: true})
	s.mu.Lock()
	listening := len(s.listeners)
	s.mu.Unlock()
	if listening != 0 {
		t.Fatalf("%d services listen before any was asked for", listening)
	}
	addr := s.Addr("SMTP")
	if addr == "" || s.Addr("smtp") != addr {
		t.Fatalf("Addr(smtp) = %q, then %q", addr, s.Addr("smtp"))
	}
	if got := firstLine(t, s, addr, false); !strings.HasPrefix(got, "220 ") {
		t.Errorf("smtp greeting %q", got)
	}
	if got := firstLine(t, s, s.Addr("imaps"), true); !strings.HasPrefix(got, "* OK") {
		t.Errorf("imaps greeting %q", got)
	}
	s.mu.Lock()
	listening = len(s.listeners)
	s.mu.Unlock()
	if listening != 2 {
		t.Errorf("%d services listen, want the 2 asked for", listening)
	}
	if s.Addr("gopher") != "" {
		t.Error("an unknown service has an address")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if a := s.Addr("pop3"); a != "" {
		t.Errorf("a service started after Close: %s", a)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("smtp still accepts after Close")
	}
}
