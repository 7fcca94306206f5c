package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/engine/repl"
	"github.com/wirebook/wirebook/engine/vars"
	"github.com/wirebook/wirebook/protocols"
)

// Executable blocks (pycon, console, python run) run code against the same
// lab servers as the session blocks. The code on the page is the code that
// runs: the servers reach it through the names below, defined before the
// first statement (as Python variables, and as environment variables for
// console blocks and scripts).

// LabName is one name defined for a lab's code.
type LabName struct {
	Name    string
	Value   string
	Port    bool // a port number: an int in Python
	Secret  bool // reaches the code through the environment only; never shown
	Meaning string
}

// labNameServices are the port names: name, block protocol, attributes.
var labNameServices = []struct {
	name, proto, port, tls, meaning string
}{
	{"SMTP_PORT", "smtp", "", "", "SMTP (plain, STARTTLS offered)"},
	{"SUBMISSION_PORT", "smtp", "587", "", "SMTP submission (STARTTLS, then AUTH)"},
	{"SMTPS_PORT", "smtp", "", "implicit", "SMTP over TLS from the first byte"},
	{"POP3_PORT", "pop3", "", "", "POP3"},
	{"POP3S_PORT", "pop3", "", "implicit", "POP3 over TLS"},
	{"IMAP_PORT", "imap", "", "", "IMAP"},
	{"IMAPS_PORT", "imap", "", "implicit", "IMAP over TLS"},
	{"HTTP_PORT", "http", "", "", "HTTP"},
	{"HTTPS_PORT", "http", "", "implicit", "HTTPS"},
}

// EnvName is a name's environment variable, as `wirebook servers` prints
// it for a shell: WIREBOOK_HOST, WIREBOOK_SMTP_PORT, WIREBOOK_PASSWORD...
func EnvName(name string) string { return "WIREBOOK_" + name }

// CodeNames are the names a lab's code is given, with what they mean
// (values are the run's: see labNames).
func CodeNames() []LabName {
	out := []LabName{{Name: "HOST", Meaning: "the servers' address"}}
	for _, s := range labNameServices {
		out = append(out, LabName{Name: s.name, Port: true, Meaning: "port of " + s.meaning})
	}
	return append(out,
		LabName{Name: "CA_FILE", Meaning: "the CA certificate that signed the servers' certificates"},
		LabName{Name: "USER", Meaning: "the lab user's login"},
		LabName{Name: "PASSWORD", Secret: true, Meaning: "the lab user's password (from the environment; masked in all output)"})
}

// ShownEvents is what a page shows of a block's run: for an executable
// block whose output was compared, the written form of each line that
// matched (check.Comparison.AsWritten), so that what the masks hide does
// not change the page from run to run; a session's transcript as it is.
func (s *SessionResult) ShownEvents() []protocols.Event {
	if s.Block != nil && s.Block.Exec != "" && s.Comparison != nil && s.Comparison.Written {
		return s.Comparison.AsWritten()
	}
	return s.Events
}

// FailureLine is the line a failed block's report points at: for an
// executable block the statement it stopped at (its reason starts "line
// N: "), else the block's opening fence.
func (s *SessionResult) FailureLine() int {
	if s.Block.Exec != "" {
		var n int
		if _, err := fmt.Sscanf(s.Reason, "line %d:", &n); err == nil && n > 0 {
			return n
		}
	}
	return s.Block.Line
}

// Defaults for an executable block.
const (
	execTimeout = 30 * time.Second
	execLimit   = 1 << 20 // bytes of output per block
)

// execState is a lab's running interpreter and the names given to it.
type execState struct {
	names    []LabName
	namesErr error
	embedded bool
	server   string
	workDir  string
	redactor *vars.Redactor
	python   *repl.Python
	pyErr    error // why there is no interpreter (any more)
}

func (x *execState) close() {
	if x.python != nil {
		_ = x.python.Close()
	}
	if x.workDir != "" {
		_ = os.RemoveAll(x.workDir)
	}
}

// labNames resolves the names against the lab's default server.
func (r *labRun) labNames() ([]LabName, error) {
	var out []LabName
	host := ""
	var ep *endpoint
	for _, s := range labNameServices {
		b := &lab.Block{Proto: s.proto, Attrs: map[string]string{}}
		if s.port != "" {
			b.Attrs["port"] = s.port
		}
		if s.tls != "" {
			b.Attrs["tls"] = s.tls
		}
		e, err := r.resolve(b)
		if err != nil {
			continue // a service the servers do not offer: no name
		}
		h, p, err := net.SplitHostPort(e.dial)
		if err != nil {
			continue
		}
		if host == "" {
			host, ep = h, e
		}
		out = append(out, LabName{Name: s.name, Value: p, Port: true})
	}
	if ep == nil {
		return nil, errors.New("the lab's default server offers none of SMTP, POP3, IMAP or HTTP")
	}
	ca, err := r.caFile()
	if err != nil {
		return nil, err
	}
	out = append([]LabName{{Name: "HOST", Value: host}}, out...)
	out = append(out, LabName{Name: "CA_FILE", Value: ca}, LabName{Name: "USER", Value: ep.user}, LabName{Name: "PASSWORD", Value: ep.pass, Secret: true})
	r.exec.embedded, r.exec.server = ep.embedded, "embedded"
	if ep.local {
		r.exec.server = "local"
	} else if !ep.embedded {
		r.exec.server = ep.shownHost
	}
	return out, nil
}

// caPEMer is an embedded server set that can hand out its CA certificate.
type caPEMer interface{ CAPEM() []byte }

// caFile is the path of the default server's CA certificate.
func (r *labRun) caFile() (string, error) {
	entry := r.e.serverEntry(r.lab, "default")
	if entry.Local {
		if f, ok := r.e.opts.Local.(interface{ CAFile() string }); ok {
			return f.CAFile(), nil
		}
		return "", nil
	}
	if !isEmbedded(entry) {
		if entry.CAFile != "" {
			return entry.CAFile, nil
		}
		if entry.URL != "" {
			if u, err := ParseServerURL(entry.URL); err == nil {
				return u.CAFile, nil
			}
		}
		return "", nil
	}
	if f, ok := r.embedded.(interface{ CAFile() string }); ok && f.CAFile() != "" {
		return f.CAFile(), nil
	}
	if p, ok := r.embedded.(caPEMer); ok {
		path := filepath.Join(r.exec.workDir, "lab-ca.pem")
		return path, os.WriteFile(path, p.CAPEM(), 0o644)
	}
	return "", nil
}

// execEnv is the whole environment of a lab's code: a fixed base (so two
// runs agree) and the names.
func (x *execState) execEnv(dir string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "TZ=UTC", "TERM=dumb",
		// The same hash seed every run: set and dict-of-set orders agree.
		"PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1",
	}
	for _, n := range x.names {
		env = append(env, EnvName(n.Name)+"="+n.Value)
	}
	return env
}

// prepareExec makes the lab's working directory and names, once.
func (r *labRun) prepareExec() error {
	if r.exec != nil {
		return r.exec.namesErr
	}
	r.exec = &execState{}
	dir, err := os.MkdirTemp("", "wirebook-python-")
	if err != nil {
		r.exec.namesErr = err
		return err
	}
	r.exec.workDir = dir
	names, err := r.labNames()
	if err != nil {
		r.exec.namesErr = err
		return err
	}
	r.exec.names = names
	var secrets []string
	for _, n := range names {
		if n.Secret {
			secrets = append(secrets, n.Value)
		}
	}
	// The lab's own redactor: what it hides in sessions it hides here.
	r.redactor.Add(append(secrets, r.scope.SecretValues()...)...)
	r.exec.redactor = r.redactor
	return nil
}

// pythonSession is the lab's interpreter, started at its first pycon block.
func (r *labRun) pythonSession() (*repl.Python, error) {
	x := r.exec
	if x.python != nil || x.pyErr != nil {
		return x.python, x.pyErr
	}
	p, err := repl.StartPython(repl.Config{Dir: x.workDir, Env: x.execEnv(x.workDir)})
	if err != nil {
		x.pyErr = missingProgram(err, "pycon blocks need python3")
		return nil, x.pyErr
	}
	names := map[string]any{}
	env := map[string]string{}
	for _, n := range x.names {
		switch {
		case n.Secret:
			env[n.Name] = EnvName(n.Name)
		case n.Port:
			v, _ := strconv.Atoi(n.Value)
			names[n.Name] = v
		default:
			names[n.Name] = n.Value
		}
	}
	if err := p.Define(names, env); err != nil {
		_ = p.Close()
		x.pyErr = err
		return nil, err
	}
	x.python = p
	return p, nil
}

func missingProgram(err error, what string) error {
	if errors.Is(err, repl.ErrNotFound) {
		return fmt.Errorf("%s, which is not installed (%v); `build --offline` or `--no-exec` shows the written output without running it", what, err)
	}
	return err
}

// statement is one prompt statement of a block: its lines and its code.
type statement struct {
	lines  []lab.Line
	source string
}

func statements(b *lab.Block) []statement {
	var out []statement
	for _, ln := range b.Lines {
		if ln.Kind != lab.Client {
			continue
		}
		text := lab.StatementText(b.Exec, ln.Text)
		first := strings.HasPrefix(ln.Text, ">>>") || strings.HasPrefix(ln.Text, "$")
		if first || len(out) == 0 {
			out = append(out, statement{lines: []lab.Line{ln}, source: text})
			continue
		}
		st := &out[len(out)-1]
		st.lines = append(st.lines, ln)
		st.source += "\n" + text
	}
	return out
}

// execBlock runs an executable block.
func (r *labRun) execBlock(ctx context.Context, b *lab.Block) *SessionResult {
	res := &SessionResult{Block: b, When: r.e.opts.Now()}
	failAt := func(line int, err error) *SessionResult {
		msg := err.Error()
		if r.exec != nil && r.exec.redactor != nil {
			msg = r.exec.redactor.Redact(msg)
		}
		res.Err = &lab.Error{File: r.lab.Path, Line: line, Msg: msg}
		return res
	}
	if err := r.prepareExec(); err != nil {
		return failAt(b.Line, err)
	}
	res.Server, res.Embedded = r.exec.server, r.exec.embedded
	timeout := execTimeout
	if v := b.Attrs["timeout"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return failAt(b.Line, fmt.Errorf("timeout=%q is not a duration such as 20s", v))
		}
		timeout = d
	}
	emit := func(ev protocols.Event) {
		ev.Text = r.exec.redactor.Redact(ev.Text)
		res.Events = append(res.Events, ev)
		if obs := r.e.opts.Observe; obs != nil {
			obs(b, ev)
		}
	}
	output := func(text string) {
		if text == "" {
			return
		}
		for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			emit(protocols.Event{Kind: protocols.Server, Text: line})
		}
	}
	switch b.Exec {
	case lab.ExecPycon:
		return r.runPycon(b, res, timeout, emit, output, failAt)
	default:
		return r.runShell(ctx, b, res, timeout, emit, output, failAt)
	}
}

type emitFunc func(protocols.Event)

func (r *labRun) runPycon(b *lab.Block, res *SessionResult, timeout time.Duration, emit emitFunc, output func(string), failAt func(int, error) *SessionResult) *SessionResult {
	p, err := r.pythonSession()
	if err != nil {
		return failAt(b.Line, err)
	}
	res.Software = "Python " + p.Version()
	deadline := time.Now().Add(timeout)
	left := execLimit
	for _, st := range statements(b) {
		for _, ln := range st.lines {
			emit(protocols.Event{Kind: protocols.Client, Text: ln.Text, Source: ln.Num})
		}
		line := st.lines[0].Num
		wait := time.Until(deadline)
		if wait <= 0 {
			return failAt(line, fmt.Errorf("the block ran past its deadline of %v before this statement", timeout))
		}
		out, err := p.Run(st.source, wait, left)
		if err == nil && out.Incomplete {
			// As the empty "..." line a student types to end a compound
			// statement at the prompt.
			out, err = p.Run(st.source+"\n", wait, left)
		}
		output(out.Output)
		left -= len(out.Output)
		switch {
		case err != nil && out.TimedOut:
			return failAt(line, fmt.Errorf("still running after %v (timeout=); stopped, and the Python session with it: %v", timeout, err))
		case err != nil:
			return failAt(line, err)
		case out.TimedOut:
			return failAt(line, fmt.Errorf("still running after %v (the block's timeout=); interrupted with KeyboardInterrupt", timeout))
		case out.Truncated:
			return failAt(line, fmt.Errorf("printed more than the %d bytes a block may print; stopped", execLimit))
		case out.Incomplete:
			return failAt(line, errors.New("the statement is incomplete: the prompt would wait for more lines"))
		case out.Raised && !res.Raised:
			res.Raised, res.RaisedAt = true, line
		}
		if out.Exited {
			return res
		}
	}
	return res
}

func (r *labRun) runShell(ctx context.Context, b *lab.Block, res *SessionResult, timeout time.Duration, emit emitFunc, output func(string), failAt func(int, error) *SessionResult) *SessionResult {
	dir, err := os.MkdirTemp("", "wirebook-console-")
	if err != nil {
		return failAt(b.Line, err)
	}
	defer os.RemoveAll(dir)
	sts := statements(b)
	what := "console blocks need bash"
	if b.Exec == lab.ExecPython {
		code := ""
		for _, ln := range b.Code {
			code += ln.Text + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, "example.py"), []byte(code), 0o644); err != nil {
			return failAt(b.CodeLine, err)
		}
		sts = []statement{{source: "python3 -u -c " + shellQuote(scriptRunner), lines: []lab.Line{{Num: b.CodeLine + 1}}}}
		what = "python run blocks need bash and python3"
		res.Software = pythonVersion()
	} else {
		res.Software = bashVersion()
	}
	cmds := make([]string, len(sts))
	for i, st := range sts {
		cmds[i] = st.source
	}
	sr, err := repl.RunShell(ctx, repl.Config{Dir: dir, Env: r.exec.execEnv(dir)}, cmds, timeout, execLimit)
	if err != nil {
		return failAt(b.Line, missingProgram(err, what))
	}
	for i, st := range sts {
		c := sr.Commands[i]
		if b.Exec != lab.ExecPython {
			for _, ln := range st.lines {
				emit(protocols.Event{Kind: protocols.Client, Text: ln.Text, Source: ln.Num})
			}
		}
		if !c.Ran {
			break
		}
		output(strings.ReplaceAll(c.Output, dir, "."))
		if c.Status != 0 {
			emit(protocols.Event{Kind: protocols.Server, Text: fmt.Sprintf("[%d]", c.Status)})
			if !res.Raised {
				res.Raised, res.RaisedAt = true, st.lines[0].Num
				if b.Exec == lab.ExecPython {
					res.RaisedAt = scriptErrorLine(b, c.Output)
				}
			}
		}
		line := st.lines[0].Num
		switch {
		case sr.TimedOut && i == lastRan(sr):
			return failAt(line, fmt.Errorf("still running after %v (the block's timeout=); stopped", timeout))
		case sr.Truncated && i == lastRan(sr):
			return failAt(line, fmt.Errorf("printed more than the %d bytes a block may print; stopped", execLimit))
		}
	}
	return res
}

// scriptRunner runs example.py as "python3 example.py" would, with the
// lab's names defined first (the script is the page's code, unchanged),
// and prints a traceback without its own frame.
const scriptRunner = `import os, sys, traceback
g = {"__name__": "__main__", "__file__": "example.py", "__builtins__": __builtins__}
for k, v in os.environ.items():
    if k.startswith("WIREBOOK_"):
        n = k[len("WIREBOOK_"):]
        g[n] = int(v) if n.endswith("_PORT") and v.isdigit() else v
sys.argv = ["example.py"]
with open("example.py", encoding="utf-8") as f:
    code = compile(f.read(), "example.py", "exec")
try:
    exec(code, g)
except SystemExit:
    raise
except BaseException as e:
    traceback.print_exception(type(e), e, e.__traceback__.tb_next)
    sys.exit(1)
`

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

var scriptFrame = regexp.MustCompile(`File "example.py", line (\d+)`)

// scriptErrorLine is the lab line of the script's last frame in a
// traceback, else its first line.
func scriptErrorLine(b *lab.Block, out string) int {
	m := scriptFrame.FindAllStringSubmatch(out, -1)
	if len(m) > 0 {
		if n, err := strconv.Atoi(m[len(m)-1][1]); err == nil && n >= 1 && n <= len(b.Code) {
			return b.Code[n-1].Num
		}
	}
	return b.CodeLine + 1
}

func lastRan(sr repl.ShellResult) int {
	n := -1
	for i, c := range sr.Commands {
		if c.Ran {
			n = i
		}
	}
	return n
}

// Interpreter versions, asked once per process: they are part of the
// cache key of every executable block.
var (
	versionsOnce       sync.Once
	pyVersion, bashVer string
)

func interpreterVersions() {
	versionsOnce.Do(func() {
		pyVersion = repl.PythonVersion("")
		bashVer = repl.BashVersion("")
	})
}

func pythonVersion() string { interpreterVersions(); return pyVersion }
func bashVersion() string   { interpreterVersions(); return bashVer }

// interpreterKey is the part of a block's cache key that names what runs it.
func interpreterKey(b *lab.Block) string {
	switch b.Exec {
	case lab.ExecPycon:
		return pythonVersion()
	case lab.ExecConsole:
		return bashVersion()
	case lab.ExecPython:
		return pythonVersion() + "; " + bashVersion()
	}
	return ""
}
