package engine

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/engine/vars"
	"github.com/wirebook/wirebook/internal/printable"
	"github.com/wirebook/wirebook/protocols"
)

// embeddedServices maps a standard port to the embedded service on it.
var embeddedServices = map[int]string{
	25: "smtp", 465: "smtps", 587: "submission",
	110: "pop3", 995: "pop3s", 143: "imap", 993: "imaps",
	80: "http", 443: "https",
}

// labRun is the state of one lab's run: its embedded servers and scope.
type labRun struct {
	e        *Engine
	lab      *lab.Lab
	servers  map[string]lab.ServerEntry // the engine's, or its slot's
	embedded EmbeddedSet
	scope    *vars.Scope
	verifier *verifier
	redactor *vars.Redactor // every secret of the lab, registered before the first session
	exec     *execState     // the lab's code: names, interpreter; nil until needed
	limits   limitSettings
	deadline time.Time // the lab deadline
	// deadlineNames name the block deadline and the lab deadline in
	// messages, made once a lab.
	deadlineNames [2]string
}

func (r *labRun) close() {
	if r.exec != nil {
		r.exec.close()
	}
	if r.embedded != nil {
		_ = r.embedded.Close()
	}
}

// serverEntry returns the configuration of a named server: --server
// overrides first, then the lab's front matter, else the embedded one.
func (e *Engine) serverEntry(l *lab.Lab, name string) lab.ServerEntry {
	return serverEntry(e.opts.Servers, l, name)
}

func serverEntry(servers map[string]lab.ServerEntry, l *lab.Lab, name string) lab.ServerEntry {
	if name == "" {
		name = "default"
	}
	if s, ok := servers[name]; ok {
		return s
	}
	if s, ok := servers["*"]; ok {
		return s
	}
	if s, ok := l.Front.Servers[name]; ok {
		return s
	}
	return lab.ServerEntry{Embedded: true}
}

func (e *Engine) prepare(l *lab.Lab, servers map[string]lab.ServerEntry) (*labRun, error) {
	r := &labRun{e: e, lab: l, servers: servers, scope: vars.NewScope(e.opts.LookupEnv)}
	limits, err := defaultLimits.apply(l.Front.Limits)
	if err == nil {
		limits, err = limits.apply(e.opts.Limits)
	}
	if err != nil {
		return nil, &lab.Error{File: l.Path, Msg: err.Error()}
	}
	r.limits = limits
	r.deadlineNames = [2]string{fmt.Sprintf("the block deadline (%s)", limits.blockDeadline), fmt.Sprintf("the lab deadline (%s)", limits.labDeadline)}
	if e.opts.LabTimeout == 0 {
		// --lab-timeout, when given, is the lab's context deadline
		// (labContext), which closes the connection and names itself.
		r.deadline = time.Now().Add(limits.labDeadline)
	}
	for _, name := range l.Front.Secrets {
		r.scope.MarkSecret(name)
	}
	for k, v := range l.Front.Vars {
		r.scope.Set(k, v, false)
	}
	r.redactor = r.labRedactor()
	needEmbedded := false
	for _, b := range l.Blocks {
		entry := serverEntry(servers, l, b.Attrs["server"])
		needEmbedded = needEmbedded || isEmbedded(entry)
		if entry.Local && (len(l.Front.Fixtures) > 0 || l.Front.WebRoot != "") {
			// Their mailboxes and web root are the student's, not the lab's.
			return nil, &lab.Error{File: l.Path, Line: b.Line, Msg: "this lab seeds its servers (fixtures: or web_root:), which the local lab servers (wirebook servers) cannot take; run it without --servers local"}
		}
	}
	if needEmbedded {
		if e.opts.Embedded == nil {
			return nil, &lab.Error{File: l.Path, Msg: "this lab uses the embedded lab servers, which are not available here"}
		}
		fx, err := loadFixtures(l)
		if err != nil {
			return nil, err
		}
		setup := Setup{Fixtures: fx}
		if root := l.Front.WebRoot; root != "" {
			setup.WebRoot = filepath.Join(filepath.Dir(l.Path), filepath.FromSlash(root))
			if st, err := os.Stat(setup.WebRoot); err != nil || !st.IsDir() {
				return nil, &lab.Error{File: l.Path, Msg: fmt.Sprintf("web_root %q is not a directory beside the lab", root)}
			}
		}
		set, err := e.opts.Embedded.Start(setup)
		if err != nil {
			return nil, &lab.Error{File: l.Path, Msg: fmt.Sprintf("starting the embedded lab servers: %v", err)}
		}
		r.embedded = set
	}
	return r, nil
}

func loadFixtures(l *lab.Lab) ([]Fixture, error) {
	var out []Fixture
	for i, f := range l.Front.Fixtures {
		fx := Fixture{User: f.User, Mailbox: f.Mailbox, Flags: f.Flags}
		if fx.Mailbox == "" {
			fx.Mailbox = "INBOX"
		}
		if fx.User == "" {
			return nil, &lab.Error{File: l.Path, Msg: fmt.Sprintf("fixture %d: no user", i+1)}
		}
		if f.File != "" {
			p := filepath.Join(filepath.Dir(l.Path), filepath.FromSlash(f.File))
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, &lab.Error{File: l.Path, Msg: fmt.Sprintf("fixture %d: %v", i+1, err)}
			}
			fx.Data = normalizeCRLF(data)
		}
		out = append(out, fx)
	}
	return out, nil
}

// normalizeCRLF gives a message file CRLF line ends, as mail stores keep them.
func normalizeCRLF(b []byte) []byte {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

func isEmbedded(s lab.ServerEntry) bool {
	return s.Embedded || (s.URL == "" && s.Host == "" && !s.Local)
}

// endpoint is where and how a block connects.
type endpoint struct {
	name        string // server name in the lab ("" for the default)
	dial        string // host:port actually dialled
	shownHost   string
	shownPort   int
	implicitTLS bool
	tls         *tls.Config
	insecure    bool
	embedded    bool
	local       bool // the running `wirebook servers`
	user, pass  string
}

func (r *labRun) resolve(b *lab.Block) (*endpoint, error) {
	reg := r.e.opts.Registry
	_, implicit, _ := reg.Lookup(b.Proto)
	if v := b.Attrs["tls"]; v != "" {
		if v != "implicit" && v != "none" {
			return nil, fmt.Errorf("tls=%q: want \"implicit\" or \"none\"", v)
		}
		implicit = v == "implicit"
	}
	port := reg.Port(b.Proto)
	if v := b.Attrs["port"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("port=%q is not a port number", v)
		}
		port = n
	}
	// The service is what a server entry's ports are keyed by: the block's
	// protocol, its TLS variant, or "submission" for port=587.
	service := b.Proto
	if b.Attrs["port"] != "" && embeddedServices[port] != "" {
		service = embeddedServices[port]
	} else if implicit && !strings.HasSuffix(service, "s") {
		service += "s"
	}
	name := b.Attrs["server"]
	entry := serverEntry(r.servers, r.lab, name)
	ep := &endpoint{name: name, shownPort: port, implicitTLS: implicit, insecure: entry.Insecure || b.Attrs["insecure"] == "true"}
	if isEmbedded(entry) || entry.Local {
		// The servers of `wirebook servers` are the embedded ones, kept
		// running: they are shown by the same names and standard ports.
		set, what := r.embedded, "the embedded lab servers"
		if entry.Local {
			if set, what = r.e.opts.Local, "the local lab servers (wirebook servers)"; set == nil {
				return nil, fmt.Errorf("server %q is local, but no local lab servers are configured", name)
			}
		}
		addr := set.Addr(service)
		if addr == "" {
			return nil, fmt.Errorf("%s offer no %s service (port %d)", what, service, port)
		}
		host := set.Hostname()
		if strings.HasPrefix(b.Proto, "http") {
			host = "www." + strings.TrimPrefix(host, "mail.")
		}
		ep.dial, ep.shownHost, ep.embedded, ep.local = addr, host, !entry.Local, entry.Local
		ep.tls = set.ClientTLS(host)
		ep.user, ep.pass = set.Credentials()
		if entry.User != "" {
			ep.user = entry.User
		}
		if entry.Password != "" {
			ep.pass = entry.Password
		}
		return r.finishCredentials(ep)
	}
	host := entry.Host
	ports := map[string]int{}
	ep.user, ep.pass = entry.User, entry.Password
	if entry.URL != "" {
		u, err := ParseServerURL(entry.URL)
		if err != nil {
			return nil, fmt.Errorf("server %q: %v", name, err)
		}
		if host == "" {
			host = u.Host
		}
		for k, v := range u.Ports {
			ports[k] = v
		}
		if ep.user == "" {
			ep.user = u.User
		}
		if ep.user != "" && ep.pass == "" {
			ep.pass = passwordFromEnv(r.e.opts.LookupEnv, name)
		}
		if entry.CAFile == "" {
			entry.CAFile = u.CAFile
		}
		ep.insecure = ep.insecure || u.Insecure
	}
	for k, v := range entry.Ports {
		ports[k] = v
	}
	if p, ok := ports[service]; ok {
		port = p
	}
	if entry.TLS == "implicit" {
		ep.implicitTLS = true
	}
	if host == "" {
		return nil, fmt.Errorf("server %q has no host", name)
	}
	ep.dial = net.JoinHostPort(host, strconv.Itoa(port))
	ep.shownHost, ep.shownPort = host, port
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: ep.insecure}
	if entry.CAFile != "" {
		pem, err := os.ReadFile(entry.CAFile)
		if err != nil {
			return nil, fmt.Errorf("server %q: CA file: %v", name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("server %q: CA file %s holds no certificate", name, entry.CAFile)
		}
		cfg.RootCAs = pool
	}
	ep.tls = cfg
	return r.finishCredentials(ep)
}

// finishCredentials expands ${...} in configured credentials.
func (r *labRun) finishCredentials(ep *endpoint) (*endpoint, error) {
	for _, p := range []*string{&ep.user, &ep.pass} {
		if strings.Contains(*p, "${") {
			v, _, err := r.scope.Expand(*p)
			if err != nil {
				return nil, fmt.Errorf("server credentials: %v", err)
			}
			*p = v
		}
	}
	if ep.insecure && ep.tls != nil {
		ep.tls.InsecureSkipVerify = true
	}
	return ep, nil
}

// session runs one block and returns its transcript, never stopping at an
// error: the error and everything recorded before it are the result.
func (r *labRun) session(ctx context.Context, b *lab.Block) *SessionResult {
	if b.Exec != "" {
		return r.execBlock(ctx, b)
	}
	res := &SessionResult{Block: b, Server: b.Attrs["server"], When: r.e.opts.Now()}
	fail := func(err error) *SessionResult {
		res.Err = positioned(r.lab, b.Line, err)
		return res
	}
	ep, err := r.resolve(b)
	if err != nil {
		return fail(err)
	}
	res.Embedded, res.Insecure = ep.embedded, ep.insecure
	if res.Server == "" {
		switch {
		case ep.embedded:
			res.Server = "embedded"
		case ep.local:
			res.Server = "local" // not the lab's fresh servers: say so
		default:
			res.Server = ep.shownHost
		}
	}
	if err := emptyCredential(r.lab.Path, ep, b.Lines); err != nil {
		res.Err = err
		return res
	}
	scope := r.scope.Child()
	scope.Set("host", ep.shownHost, false)
	scope.Set("port", strconv.Itoa(ep.shownPort), false)
	scope.Set("user", ep.user, false)
	scope.Set("password", ep.pass, true)
	var script []protocols.ClientLine
	for _, ln := range b.Lines {
		if ln.Kind != lab.Client && ln.Kind != lab.Pipelined {
			continue
		}
		text, display, err := scope.Expand(ln.Text)
		if err != nil {
			res.Err = &lab.Error{File: r.lab.Path, Line: ln.Num, Msg: err.Error()}
			return res
		}
		script = append(script, protocols.ClientLine{Text: text, Display: display, Source: ln.Num, Pipelined: ln.Kind == lab.Pipelined})
	}
	redactor := r.redactor
	redactor.Add(append(scope.SecretValues(), ep.pass)...)

	timeout := r.limits.readTimeout
	if v := b.Attrs["timeout"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fail(fmt.Errorf("timeout=%q is not a duration such as 5s", v))
		}
		timeout = d
	}
	deadline, deadlineName := time.Now().Add(r.limits.blockDeadline), r.deadlineNames[0]
	if !r.deadline.IsZero() && r.deadline.Before(deadline) {
		deadline, deadlineName = r.deadline, r.deadlineNames[1]
	}
	if !time.Now().Before(deadline) {
		return fail(fmt.Errorf("%s passed before this block ran", deadlineName))
	}
	blockCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	proto, _, _ := r.e.opts.Registry.Lookup(b.Proto)
	// What validation could not count (a literal over ${user}) is checked
	// now that the values are known, still before connecting.
	if err := lintScript(r.lab.Path, proto, script, b); err != nil {
		return fail(err)
	}
	d := net.Dialer{Timeout: timeout}
	if ep.embedded {
		// A session with the lab's own servers, in this process, lasts
		// milliseconds: TCP keepalive (four setsockopt calls a
		// connection) could never fire.
		d.KeepAlive = -1
	}
	conn, err := d.DialContext(blockCtx, "tcp", ep.dial)
	if err != nil {
		res.Events = []protocols.Event{{Kind: protocols.Note, Text: fmt.Sprintf("could not connect to %s (%s, port %d)", ep.shownHost, b.Proto, ep.shownPort)}}
		return fail(redactErr(redactor, dialError(err)))
	}
	// The lab's deadline interrupts a block waiting on the server.
	defer context.AfterFunc(ctx, func() { _ = conn.Close() })()
	w := protocols.NewWire(conn, ep.tls, r.limits.wire(timeout, deadline, deadlineName))
	w.Insecure = ep.insecure
	if obs := r.e.opts.Observe; obs != nil {
		w.Observe = func(ev protocols.Event) {
			ev.Text = redactor.Redact(ev.Text)
			obs(b, ev)
		}
	}
	if before := r.e.opts.BeforeSend; before != nil {
		w.BeforeSend = func(lines []protocols.ClientLine) { before(b, lines) }
	}
	w.Note("connected to %s (%s, port %d)", ep.shownHost, b.Proto, ep.shownPort)
	if ep.implicitTLS {
		err = w.StartTLS()
	}
	if err == nil {
		err = proto.Run(blockCtx, &protocols.Session{Wire: w, Script: protocols.NewScript(script)})
	}
	err = r.e.deadlineError(ctx, err)
	if err != nil {
		res.TLSRefused = errors.Is(err, protocols.ErrTLSRefused)
		w.Note("error: %s", redactor.Redact(err.Error()))
	}
	_ = w.Close()
	res.Events = w.Transcript()
	for i := range res.Events {
		res.Events[i].Text = redactor.Redact(res.Events[i].Text)
	}
	res.Software = printable.String(software(res.Events))
	if err != nil {
		return fail(redactErr(redactor, err))
	}
	return res
}

// redactErr is the error as it may be shown: secrets masked, and what the
// server sent (quoted in it) neutralised.
func redactErr(r *vars.Redactor, err error) error {
	return errors.New(printable.String(r.Redact(err.Error())))
}

func dialError(err error) error {
	// The innermost cause ("connection refused", "i/o timeout"): the
	// net.OpError and os.SyscallError around it only repeat "dial tcp" and
	// "connect:".
	var sys *os.SyscallError
	if errors.As(err, &sys) && sys.Err != nil {
		return fmt.Errorf("connect: %v", sys.Err)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return fmt.Errorf("connect: %v", op.Err)
	}
	return fmt.Errorf("connect: %v", err)
}

// software guesses the server software from its greeting or Server header.
func software(events []protocols.Event) string {
	for _, ev := range events {
		if ev.Kind == protocols.Server {
			if v, ok := strings.CutPrefix(ev.Text, "Server: "); ok {
				return v
			}
		}
	}
	for _, ev := range events {
		if ev.Kind != protocols.Server {
			continue
		}
		t := ev.Text
		if strings.HasPrefix(t, "HTTP/") {
			return ""
		}
		for _, p := range []string{"220 ", "220-", "+OK ", "* OK ", "* PREAUTH "} {
			t = strings.TrimPrefix(t, p)
		}
		if strings.HasPrefix(t, "[") {
			if i := strings.Index(t, "] "); i >= 0 {
				t = t[i+2:]
			}
		}
		return t
	}
	return ""
}

// PasswordEnv is the environment variable a server given by URL with a
// user (smtp://alice@host) takes its password from; WIREBOOK_PASSWORD_NAME
// (the server's name upper-cased) is read first.
const PasswordEnv = "WIREBOOK_PASSWORD"

func passwordFromEnv(lookup func(string) (string, bool), server string) string {
	if server == "" {
		server = "default"
	}
	for _, k := range []string{PasswordEnv + "_" + strings.ToUpper(server), PasswordEnv} {
		if v, ok := lookup(k); ok && v != "" {
			return v
		}
	}
	return ""
}

// emptyCredential is the error for a client line that uses ${user} or
// ${password} while the server in force has none: sending an empty one
// would fail later and for a reason nobody could see.
func emptyCredential(path string, ep *endpoint, lines []lab.Line) error {
	if ep.user != "" && ep.pass != "" {
		return nil
	}
	for _, ln := range lines {
		if ln.Kind != lab.Client && ln.Kind != lab.Pipelined {
			continue
		}
		for _, c := range []struct{ name, value, ref string }{
			{"user", ep.user, "${user}"},
			{"password", ep.pass, "${password}"},
		} {
			if c.value == "" && strings.Contains(ln.Text, c.ref) {
				hint := "give one in the server's URL (smtp://alice@host:port) or as user: in " + CourseFile
				if c.name == "password" {
					hint = "set " + PasswordEnv + " (or " + PasswordEnv + "_" + strings.ToUpper(cmp.Or(ep.name, "default")) + ") in the environment, or password: ${VARIABLE} in " + CourseFile
				}
				return &lab.Error{File: path, Line: ln.Num, Msg: fmt.Sprintf("${%s} is empty for server %q: %s", c.name, cmp.Or(ep.name, "default"), hint)}
			}
		}
	}
	return nil
}
