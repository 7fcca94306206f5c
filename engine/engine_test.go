package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/protocols"
	"github.com/wirebook/wirebook/protocols/labtls"
	"github.com/wirebook/wirebook/protocols/mailstore"
	"github.com/wirebook/wirebook/protocols/smtp"
	"github.com/wirebook/wirebook/protocols/smtp/smtpd"
)

// smtpProvider starts only an embedded SMTP server: enough for the engine's
// tests, which must not depend on the full lab server set.
type smtpProvider struct {
	bundle   *labtls.Bundle
	starts   atomic.Int32
	hostname string // "" for the default
}

type smtpSet struct {
	srv    *smtpd.Server
	addr   string
	bundle *labtls.Bundle
}

func (p *smtpProvider) Start(Setup) (EmbeddedSet, error) {
	p.starts.Add(1)
	store := mailstore.New(mailstore.Config{Clock: mailstore.NewStepClock()})
	srv := smtpd.New(smtpd.Config{Hostname: p.hostname, Store: store, TLS: p.bundle.ServerConfig(), AllowInsecureAuth: true})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go srv.Serve(l)
	return &smtpSet{srv: srv, addr: l.Addr().String(), bundle: p.bundle}, nil
}

func (s *smtpSet) Addr(service string) string {
	if service == "smtp" {
		return s.addr
	}
	return ""
}
func (s *smtpSet) ClientTLS(name string) *tls.Config { return s.bundle.ClientConfig(name) }
func (s *smtpSet) Hostname() string                  { return "mail.example.com" }
func (s *smtpSet) Credentials() (string, string)     { return "alice", "alice-pw" }
func (s *smtpSet) Close() error                      { return s.srv.Close() }

func newTestEngine(t *testing.T, opts Options) (*Engine, *smtpProvider) {
	t.Helper()
	b, err := labtls.New()
	if err != nil {
		t.Fatal(err)
	}
	p := &smtpProvider{bundle: b}
	opts.Registry = protocols.NewRegistry(smtp.Protocol{})
	opts.Embedded = p
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	return New(opts), p
}

func writeLab(t *testing.T, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const greetLab = "# Hello\n\n```smtp\nC: EHLO client.example\nC: MAIL FROM:<t@example.com>\nC: RCPT TO:<alice@example.com>\nC: RCPT TO:<nobody@example.com>\nC: QUIT\n```\n"

func texts(events []protocols.Event, kind protocols.Kind) []string {
	var out []string
	for _, e := range events {
		if e.Kind == kind {
			out = append(out, e.Text)
		}
	}
	return out
}

func TestRunLabRecordsTheRealTranscript(t *testing.T) {
	eng, _ := newTestEngine(t, Options{})
	path := writeLab(t, t.TempDir(), "hello.md", greetLab)
	r := eng.RunLab(context.Background(), path)
	if r.Err != nil || len(r.Sessions) != 1 {
		t.Fatalf("RunLab: err=%v sessions=%d", r.Err, len(r.Sessions))
	}
	s := r.Sessions[0]
	if s.Err != nil || s.Status != StatusCaptured {
		t.Fatalf("session: status=%s err=%v", s.Status, s.Err)
	}
	server := strings.Join(texts(s.Events, protocols.Server), "\n")
	for _, want := range []string{"220 mail.example.com", "250-mail.example.com", "\n550 "} {
		if !strings.Contains(server, want) {
			t.Errorf("server lines lack %q:\n%s", want, server)
		}
	}
	if n := texts(s.Events, protocols.Note); len(n) == 0 || n[0] != "connected to mail.example.com (smtp, port 25)" {
		t.Errorf("first note = %v", n)
	}
}

func TestFailingSessionDoesNotStopTheOthers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close() // nothing listens there now: connection refused
	eng, _ := newTestEngine(t, Options{Servers: map[string]lab.ServerEntry{"dead": {URL: "smtp://" + dead}}})
	dir := t.TempDir()
	bad := writeLab(t, dir, "a.md", "```smtp server=dead timeout=2s\nC: EHLO x\n```\n\n```smtp\nC: EHLO client.example\nC: QUIT\n```\n")
	good := writeLab(t, dir, "b.md", greetLab)
	results := eng.RunLabs(context.Background(), []string{bad, good})
	a, b := results[0], results[1]
	if a.Sessions[0].Status != StatusFailed || a.Sessions[0].Reason != "connect: connection refused" {
		t.Errorf("refused session: status=%s reason=%q", a.Sessions[0].Status, a.Sessions[0].Reason)
	}
	if a.Sessions[1].Status != StatusCaptured {
		t.Errorf("the block after a failed one: status=%s (%s)", a.Sessions[1].Status, a.Sessions[1].Reason)
	}
	if b.Failed() {
		t.Errorf("the other lab failed too")
	}
	if !a.Failed() {
		t.Errorf("a lab with a refused session is not Failed()")
	}
}

func TestExpectedFailurePasses(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := l.Addr().String()
	l.Close()
	eng, _ := newTestEngine(t, Options{Servers: map[string]lab.ServerEntry{"dead": {URL: "smtp://" + dead}}})
	dir := t.TempDir()
	p := writeLab(t, dir, "x.md", "```smtp server=dead expect=refused\nC: EHLO x\n```\n\n```smtp expect=5xx\nC: EHLO client.example\nC: RCPT TO:<x@example.com>\nC: QUIT\n```\n\n```smtp expect=5xx\nC: EHLO client.example\nC: QUIT\n```\n")
	r := eng.RunLab(context.Background(), p)
	got := []string{r.Sessions[0].Status, r.Sessions[1].Status, r.Sessions[2].Status}
	// The third expects a 5xx that never comes.
	if got[0] == StatusFailed || got[1] == StatusFailed || got[2] != StatusFailed {
		t.Errorf("statuses = %v (%q %q %q)", got, r.Sessions[0].Reason, r.Sessions[1].Reason, r.Sessions[2].Reason)
	}
}

func TestCacheServesUnchangedLabsWithoutAServer(t *testing.T) {
	dir := t.TempDir()
	cache := &Cache{Dir: filepath.Join(dir, ".wirebook")}
	eng, p := newTestEngine(t, Options{Cache: cache})
	path := writeLab(t, dir, "c.md", greetLab)
	first := eng.RunLab(context.Background(), path)
	second := eng.RunLab(context.Background(), path)
	if p.starts.Load() != 1 {
		t.Errorf("servers started %d times for two builds of an unchanged lab, want 1", p.starts.Load())
	}
	if !second.Sessions[0].Cached || len(second.Sessions[0].Events) != len(first.Sessions[0].Events) {
		t.Errorf("second run not from cache (cached=%v)", second.Sessions[0].Cached)
	}
	lines, _ := eng.Explain(path)
	if !strings.Contains(lines[0], "fresh") {
		t.Errorf("Explain = %v", lines)
	}
	// Changing a client line makes the block stale, and says why.
	writeLab(t, dir, "c.md", strings.Replace(greetLab, "EHLO client.example", "EHLO other.example", 1))
	lines, _ = eng.Explain(path)
	if !strings.Contains(lines[0], "this block changed") {
		t.Errorf("Explain after an edit = %v", lines)
	}
	eng.RunLab(context.Background(), path)
	if p.starts.Load() != 2 {
		t.Errorf("an edited lab did not run again")
	}
}

func TestCacheSurvivesATornWrite(t *testing.T) {
	dir := t.TempDir()
	cache := &Cache{Dir: filepath.Join(dir, ".wirebook")}
	eng, p := newTestEngine(t, Options{Cache: cache})
	path := writeLab(t, dir, "c.md", greetLab)
	eng.RunLab(context.Background(), path)
	// A process killed mid-write leaves at most a temp file and, at worst, a
	// truncated cache file; both must be survivable.
	if err := os.WriteFile(filepath.Join(cache.Dir, ".c.md.tmp-123"), []byte("{\"vers"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(cache.path(path))
	if err := os.WriteFile(cache.path(path), data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	r := eng.RunLab(context.Background(), path)
	if r.Err != nil || r.Sessions[0].Status != StatusCaptured || r.Sessions[0].Cached {
		t.Errorf("after a torn cache: err=%v status=%s cached=%v", r.Err, r.Sessions[0].Status, r.Sessions[0].Cached)
	}
	if p.starts.Load() != 2 {
		t.Errorf("a torn cache file was trusted")
	}
	if f := cache.load(path); f == nil {
		t.Errorf("the cache was not rewritten whole after the torn one")
	}
}

func TestSecretsAreMaskedEverywhere(t *testing.T) {
	env := map[string]string{"LAB_PASSWORD": "alice-pw"}
	dir := t.TempDir()
	cache := &Cache{Dir: filepath.Join(dir, ".wirebook")}
	eng, _ := newTestEngine(t, Options{Cache: cache, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	path := writeLab(t, dir, "s.md", "```smtp\nC: EHLO client.example\nC: AUTH PLAIN ${base64:\\0alice\\0${LAB_PASSWORD}}\nC: AUTH LOGIN\nC: ${base64:alice}\nC: ${base64:${LAB_PASSWORD}}\nC: QUIT\n```\n")
	r := eng.RunLab(context.Background(), path)
	s := r.Sessions[0]
	all := ""
	for _, e := range s.Events {
		all += e.Text + "\n"
	}
	if !strings.Contains(all, "235 ") {
		t.Fatalf("login did not succeed, transcript:\n%s", all)
	}
	cached, _ := os.ReadFile(cache.path(path))
	for _, leak := range []string{"alice-pw", "YWxpY2UtcHc", "AGFsaWNlAGFsaWNlLXB3"} {
		if strings.Contains(all, leak) || strings.Contains(string(cached), leak) {
			t.Errorf("secret form %q appears in the transcript or cache", leak)
		}
	}
	if !strings.Contains(all, "AUTH PLAIN ********") {
		t.Errorf("masked AUTH line missing:\n%s", all)
	}
}

// recordLab runs a lab and writes its fresh transcripts into it, as
// wirebook update does.
func recordLab(t *testing.T, eng *Engine, path string) {
	t.Helper()
	r := eng.RunLab(context.Background(), path)
	changes, skipped := PlanUpdate(r)
	if len(skipped) > 0 {
		t.Fatalf("sessions failed: %v", skipped[0].Reason)
	}
	if err := WriteLab(path, r.Lab.Source, Apply(r.Lab.Source, changes)); err != nil {
		t.Fatal(err)
	}
}

func TestChangedGreetingFailsAtItsLine(t *testing.T) {
	eng, p := newTestEngine(t, Options{})
	path := writeLab(t, t.TempDir(), "g.md", greetLab)
	recordLab(t, eng, path)
	src, _ := os.ReadFile(path)
	greetingLine := 1 + strings.Count(string(src[:strings.Index(string(src), "S: 220 ")]), "\n")
	p.hostname = "mx.example.org" // the server now greets differently
	r := eng.RunLab(context.Background(), path)
	s := r.Sessions[0]
	if s.Status != StatusMismatch {
		t.Fatalf("status = %s, want mismatch", s.Status)
	}
	if got := s.Comparison.FirstDifferenceLine(); got != greetingLine {
		t.Errorf("first difference at line %d, want the greeting's line %d", got, greetingLine)
	}
	if !strings.Contains(strings.Join(s.Comparison.Differences(), "\n"), "the greeting changed `220 mail.example.com ESMTP wirebook lab server` to `220 mx.example.org ESMTP wirebook lab server`") {
		t.Errorf("differences = %v", s.Comparison.Differences())
	}
}

func TestCapturesCarryAcrossBlocks(t *testing.T) {
	eng, _ := newTestEngine(t, Options{})
	path := writeLab(t, t.TempDir(), "c.md", "```smtp\nC: EHLO client.example\nC: MAIL FROM:<t@example.com>\nC: RCPT TO:<alice@example.com>\nC: DATA\nC: Subject: hi\nC:\nC: body\nC: .\nC: QUIT\n```\n")
	recordLab(t, eng, path)
	src, _ := os.ReadFile(path)
	// Name the queue id in the first block's reply, and use it in a second.
	text := regexp.MustCompile(`queued as (\S+)`).ReplaceAllString(string(src), "queued as ${capture:qid}")
	text += "\n```smtp\nC: EHLO ${qid}.example\nC: QUIT\n```\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r := eng.RunLab(context.Background(), path)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	second := r.Sessions[1]
	found := false
	for _, ev := range second.Events {
		if ev.Kind == protocols.Client && ev.Text == "EHLO Q00001.example" {
			found = true
		}
	}
	if !found {
		t.Errorf("the captured queue id was not used in the next block: %+v (%s)", second.Events, second.Reason)
	}
	if r.Sessions[0].Status != StatusVerified {
		t.Errorf("capture line did not verify: %s %s", r.Sessions[0].Status, r.Sessions[0].Reason)
	}
}

func TestWriteLabRefusesAConcurrentEdit(t *testing.T) {
	eng, _ := newTestEngine(t, Options{})
	path := writeLab(t, t.TempDir(), "e.md", greetLab)
	r := eng.RunLab(context.Background(), path)
	changes, _ := PlanUpdate(r)
	// Someone saves the file while the sessions ran.
	edited := greetLab + "\nA paragraph added in the editor.\n"
	os.WriteFile(path, []byte(edited), 0o644)
	err := WriteLab(path, r.Lab.Source, Apply(r.Lab.Source, changes))
	if !errors.Is(err, ErrChangedOnDisk) {
		t.Fatalf("WriteLab = %v, want ErrChangedOnDisk", err)
	}
	if now, _ := os.ReadFile(path); string(now) != edited {
		t.Errorf("the editor's version was overwritten")
	}
	if tmp, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestOfflineContactsNoServer(t *testing.T) {
	eng, p := newTestEngine(t, Options{Offline: true})
	path := writeLab(t, t.TempDir(), "o.md", "```smtp\nC: EHLO x\nS: 250 written by hand\n```\n")
	r := eng.RunLab(context.Background(), path)
	if p.starts.Load() != 0 {
		t.Errorf("offline build started servers")
	}
	s := r.Sessions[0]
	if s.Status != StatusOffline || len(s.Events) != 2 || s.Events[1].Text != "250 written by hand" {
		t.Errorf("offline session = %+v", s)
	}
}

func TestFixturesAreLoadedBesideTheLab(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.eml"), []byte("Subject: seeded\n\nhello\n"), 0o644)
	var got []Fixture
	eng := New(Options{Registry: protocols.NewRegistry(smtp.Protocol{}), Embedded: fixtureSpy{&got}, LookupEnv: noEnv})
	path := writeLab(t, dir, "f.md", "---\nfixtures:\n  - user: alice\n    file: hello.eml\n    flags: ['\\Seen']\n  - user: bob\n    mailbox: Archive\n---\n```smtp\nC: QUIT\n```\n")
	eng.RunLab(context.Background(), path)
	if len(got) != 2 || got[0].Mailbox != "INBOX" || string(got[0].Data) != "Subject: seeded\r\n\r\nhello\r\n" || got[0].Flags[0] != `\Seen` || got[1].Mailbox != "Archive" || got[1].Data != nil {
		t.Errorf("fixtures = %+v", got)
	}
	// A missing fixture file is a lab error naming the lab.
	writeLab(t, dir, "f.md", "---\nfixtures:\n  - user: alice\n    file: missing.eml\n---\n```smtp\nC: QUIT\n```\n")
	r := eng.RunLab(context.Background(), path)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "f.md") || !strings.Contains(r.Err.Error(), "missing.eml") {
		t.Errorf("missing fixture: %v", r.Err)
	}
}

type fixtureSpy struct{ got *[]Fixture }

func (f fixtureSpy) Start(setup Setup) (EmbeddedSet, error) {
	*f.got = setup.Fixtures
	return nil, errors.New("spy: no servers")
}
