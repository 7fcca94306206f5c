package engine

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wirebook/wirebook/engine/check"
	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/engine/vars"
	"github.com/wirebook/wirebook/protocols"
)

// Validation happens before any server is contacted, for every lab of a
// run: an author's mistake is a file:line error (exit 2) rather than a
// session that fails, or worse passes, against a server. A lab with an
// error does not run; the other labs do.

// runtimeVars are the variables whose values come from the block's server,
// known only when the block runs.
var runtimeVars = []string{"host", "port", "user", "password"}

// validator checks one lab, collecting every problem.
type validator struct {
	e        *Engine
	lab      *lab.Lab
	static   *vars.Scope     // lab vars and the environment: known before the run
	captures map[string]bool // captured by the S: lines of earlier blocks
	ids      map[string]int  // id= of earlier blocks, and their lines
	// credsChecked holds the servers whose credentials were checked.
	credsChecked map[string]bool
	errs         lab.ErrorList
	warnings     lab.ErrorList
}

// validate checks a parsed lab; it returns the errors (nil when there are
// none) and the warnings.
func (e *Engine) validate(l *lab.Lab) (errs, warnings lab.ErrorList) {
	v := &validator{e: e, lab: l, static: vars.NewScope(e.opts.LookupEnv), captures: map[string]bool{}, ids: map[string]int{}, credsChecked: map[string]bool{}}
	for k, val := range l.Front.Vars {
		v.static.Set(k, val, false)
	}
	if l.Empty() {
		v.warn(1, "the lab is empty: its page will be blank")
	}
	for _, b := range l.Blocks {
		v.block(b)
	}
	sortErrors(v.errs)
	sortErrors(v.warnings)
	if len(v.errs) == 0 {
		return nil, v.warnings
	}
	return v.errs, v.warnings
}

func sortErrors(l lab.ErrorList) {
	sort.SliceStable(l, func(i, j int) bool { return l[i].Line < l[j].Line })
}

func (v *validator) fail(line int, format string, args ...any) {
	v.errs = append(v.errs, &lab.Error{File: v.lab.Path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) warn(line int, format string, args ...any) {
	v.warnings = append(v.warnings, &lab.Error{File: v.lab.Path, Line: line, Msg: fmt.Sprintf(format, args...), Warning: true})
}

func (v *validator) block(b *lab.Block) {
	if b.Exec != "" {
		// Code the lab runs (pycon, console): no server, no C: lines.
		v.attributes(b, b.Exec)
		return
	}
	proto, _, _ := v.e.opts.Registry.Lookup(b.Proto)
	v.attributes(b, proto.Info().Name)
	if entry, ok := v.server(b); ok && !v.e.opts.Offline && !v.credsChecked[serverKey(b.Attrs["server"])] {
		// Once per server and lab; an offline build sends no credentials.
		v.credsChecked[serverKey(b.Attrs["server"])] = true
		for _, f := range []struct{ field, val string }{{"user", entry.User}, {"password", entry.Password}} {
			if strings.Contains(f.val, "${") {
				v.references(b.Line, fmt.Sprintf("server %q, %s: ", serverKey(b.Attrs["server"]), f.field), f.val, nil, credentialsHint)
			}
		}
	}
	lines := v.lintLines(b)
	if linter, ok := proto.(protocols.Linter); ok {
		for _, f := range linter.Lint(lines) {
			if f.Warning {
				v.warn(f.Line, "%s", f.Msg)
			} else {
				v.fail(f.Line, "%s", f.Msg)
			}
		}
	}
	// Captures written in this block's S: lines serve the blocks after it.
	for _, ln := range b.Lines {
		if ln.Kind != lab.Server && ln.Kind != lab.Note {
			continue
		}
		if !strings.HasSuffix(ln.Text, " (re)") && !strings.Contains(ln.Text, "${capture:") {
			continue // a plain line: it compiles and captures nothing
		}
		p, err := check.CompilePattern(byte('S'), ln.Text, ln.Num, nil)
		if err != nil {
			v.fail(ln.Num, "%v", err)
			continue
		}
		for _, name := range p.Captures() {
			v.captures[name] = true
		}
	}
}

// lintLines gives the block's lines to a protocol's linter, client lines
// expanded where their values are known now; it reports variables that are
// not defined anywhere.
func (v *validator) lintLines(b *lab.Block) []protocols.LintLine {
	out := make([]protocols.LintLine, 0, len(b.Lines))
	for _, ln := range b.Lines {
		ll := protocols.LintLine{Text: ln.Text, Source: ln.Num, Pipelined: ln.Kind == lab.Pipelined}
		switch ln.Kind {
		case lab.Client, lab.Pipelined:
			ll.Kind = protocols.Client
			ll.Text, ll.Unknown = v.expand(ln)
		case lab.Server:
			ll.Kind = protocols.Server
		case lab.Note:
			ll.Kind = protocols.Note
		default:
			continue
		}
		out = append(out, ll)
	}
	return out
}

// expand returns a client line with its variables expanded, or as written
// and unknown when a value is only known at run time (or undefined).
func (v *validator) expand(ln lab.Line) (string, bool) {
	if !strings.Contains(ln.Text, "${") {
		return ln.Text, false
	}
	known := func(n string) bool { return slices.Contains(runtimeVars, n) || v.captures[n] }
	if !v.references(ln.Num, "", ln.Text, known, clientLineHint) {
		return ln.Text, true
	}
	text, _, err := v.static.Expand(ln.Text)
	if err != nil {
		return ln.Text, true
	}
	return text, false
}

const (
	clientLineHint  = "it is not host, port, user or password, a var of the lab's front matter, a capture of an earlier block, nor set in the environment"
	credentialsHint = "set it in the environment (or in the lab's vars:)"
)

// references reports syntax errors and undefined variables in text, and
// whether every value it uses is known before the run. runtime reports the
// names defined only when the block runs.
func (v *validator) references(line int, prefix, text string, runtime func(string) bool, hint string) (static bool) {
	names, err := vars.References(text)
	if err != nil {
		v.fail(line, "%s%v", prefix, err)
		return false
	}
	static = true
	for _, n := range names {
		if runtime != nil && runtime(n) {
			static = false
			continue
		}
		if _, ok := v.static.Lookup(n); ok {
			continue
		}
		static = false
		v.fail(line, "%sundefined variable ${%s}: %s", prefix, n, hint)
	}
	return static
}

// attributes checks the values of a block's info-string attributes.
func (v *validator) attributes(b *lab.Block, proto string) {
	line := b.Line
	if val, ok := b.Attrs["expect"]; ok {
		if msg := checkExpect(val, proto); msg != "" {
			v.fail(line, "expect=%s: %s", val, msg)
		}
	}
	if val, ok := b.Attrs["tls"]; ok && val != "implicit" && val != "none" {
		hint := ""
		if strings.EqualFold(val, "starttls") || strings.EqualFold(val, "stls") {
			hint = "; STARTTLS is a command of the session: write it as a C: line (C: STARTTLS, or C: STLS for POP3)"
		}
		v.fail(line, "tls=%s: want tls=implicit (TLS from the first byte) or tls=none%s", val, hint)
	}
	if val, ok := b.Attrs["timeout"]; ok {
		if _, err := strconv.ParseFloat(val, 64); err == nil {
			v.fail(line, "timeout=%s has no unit: write timeout=%ss (a duration such as 500ms, 5s or 1m)", val, val)
		} else if d, err := time.ParseDuration(val); err != nil || d <= 0 {
			v.fail(line, "timeout=%s is not a duration such as 500ms, 5s or 1m", val)
		}
	}
	if val, ok := b.Attrs["port"]; ok {
		if n, err := strconv.Atoi(val); err != nil || n < 1 || n > 65535 {
			v.fail(line, "port=%s is not a port number from 1 to 65535", val)
		}
	}
	if val, ok := b.Attrs["open"]; ok && val != "true" && val != "false" {
		v.fail(line, "open=%s: want open (or open=true) to keep folded bodies open, or open=false", val)
	}
	if val, ok := b.Attrs["insecure"]; ok && val != "true" && val != "false" {
		v.fail(line, "insecure=%s: want insecure=true or insecure=false", val)
	}
	if val, ok := b.Attrs["id"]; ok {
		if val == "" {
			v.fail(line, "id= is empty: give the block a name, e.g. id=greeting")
		} else if first, dup := v.ids[val]; dup {
			v.fail(line, "id=%s is already the id of the block at line %d", val, first)
		} else {
			v.ids[val] = line
		}
	}
}

// checkExpect explains what is wrong with an expect= value for a protocol,
// or returns "".
func checkExpect(val, proto string) string {
	switch {
	case val == "ok" || val == "error":
		return ""
	case proto == lab.ExecPycon || proto == lab.ExecConsole || proto == lab.ExecPython:
		return "want ok or error"
	case val == "refused":
		return ""
	}
	codes := proto == "smtp" || proto == "http"
	if len(val) == 3 && val[0] >= '1' && val[0] <= '5' && (val[1:] == "xx" || isDigits(val[1:])) {
		if codes {
			return ""
		}
		return fmt.Sprintf("%s replies have no numeric codes; %s", proto, expectValues(proto))
	}
	switch {
	case val == "-ERR" && proto == "pop3", (val == "NO" || val == "BAD") && proto == "imap":
		return ""
	case val == "-ERR" || val == "NO" || val == "BAD":
		return fmt.Sprintf("that is not a reply of %s; %s", proto, expectValues(proto))
	}
	return expectValues(proto)
}

func expectValues(proto string) string {
	var specific string
	switch proto {
	case "smtp", "http":
		specific = ", a reply code such as 550 or a class such as 5xx"
	case "pop3":
		specific = " or -ERR"
	case "imap":
		specific = ", NO or BAD"
	}
	return "want ok, error, refused" + specific
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func serverKey(name string) string {
	if name == "" {
		return "default"
	}
	return name
}

// server checks the block's server= name and returns its configuration.
//
// Under the embedded servers (no --env, or --env embedded) a name must be
// given by the lab's front matter, the course configuration (any
// environment: it is the embedded set here) or --server/WIREBOOK_SERVER_*;
// only a block that names no server (or "default") needs no configuration.
// Under another environment a name must be one of its servers, or a server
// the lab's front matter pins to an address of its own: a block must never
// run against the embedded servers when real ones were asked for.
func (v *validator) server(b *lab.Block) (lab.ServerEntry, bool) {
	name, named := b.Attrs["server"]
	if named && name == "" {
		v.fail(b.Line, "server= names no server")
		return lab.ServerEntry{}, false
	}
	key := serverKey(name)
	e := v.e
	if entry, ok := e.opts.Servers[key]; ok {
		return entry, true
	}
	// "*" (--servers local) stands for every name that is valid; it does
	// not make a misspelt one valid.
	all, hasAll := e.opts.Servers["*"]
	front, inFront := v.lab.Front.Servers[key]
	if hasAll {
		front = all
	}
	if env := e.opts.Environment; env != "" && env != EmbeddedEnv {
		if hasAll || (inFront && !isEmbedded(front)) {
			return front, true
		}
		if named {
			v.fail(b.Line, "server %q is not a server of environment %q (it has: %s): the block would run against the embedded lab servers", key, env, namesOf(e.opts.Servers))
		} else {
			v.fail(b.Line, "this block names no server and environment %q has no \"default\" server (it has: %s): the block would run against the embedded lab servers; add server=NAME", env, namesOf(e.opts.Servers))
		}
		return lab.ServerEntry{}, false
	}
	if inFront {
		return front, true
	}
	if !named || key == "default" || contains(e.opts.CourseServers, key) {
		if hasAll {
			return all, true
		}
		return lab.ServerEntry{Embedded: true}, true
	}
	known := map[string]lab.ServerEntry{}
	for k, s := range v.lab.Front.Servers {
		known[k] = s
	}
	for k, s := range e.opts.Servers {
		if k != "*" {
			known[k] = s
		}
	}
	for _, k := range e.opts.CourseServers {
		known[k] = lab.ServerEntry{}
	}
	v.fail(b.Line, "unknown server %q: name it under servers: in the lab's front matter or in %s (known: %s)", name, CourseFile, namesOf(known))
	return lab.ServerEntry{}, false
}

func namesOf(m map[string]lab.ServerEntry) string {
	if len(m) == 0 {
		return "none"
	}
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lintScript lints a block's client lines as they are about to be sent,
// variables expanded, and returns its first error. The messages name
// lines and byte counts, never the values.
func lintScript(path string, proto protocols.Protocol, script []protocols.ClientLine, b *lab.Block) error {
	linter, ok := proto.(protocols.Linter)
	if !ok {
		return nil
	}
	if !hasReference(b) {
		// No client line names a variable: the script is the lines as
		// written, which validation linted already (a lab whose lint
		// finds an error does not run), and a linter's errors come from
		// the client lines alone.
		return nil
	}
	lines := make([]protocols.LintLine, len(script))
	for i, l := range script {
		lines[i] = protocols.LintLine{Kind: protocols.Client, Text: l.Text, Source: l.Source, Pipelined: l.Pipelined}
	}
	for _, f := range linter.Lint(lines) {
		if !f.Warning {
			return &lab.Error{File: path, Line: f.Line, Msg: f.Msg}
		}
	}
	return nil
}

// hasReference reports whether a client line of b holds "${" (a variable,
// or the literal "$${"): its text is known only when the block runs.
func hasReference(b *lab.Block) bool {
	for _, ln := range b.Lines {
		if (ln.Kind == lab.Client || ln.Kind == lab.Pipelined) && strings.Contains(ln.Text, "${") {
			return true
		}
	}
	return false
}
