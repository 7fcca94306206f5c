package engine

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wirebook/wirebook/engine/check"
	"github.com/wirebook/wirebook/engine/lab"
)

// CourseFile is the name of the course configuration file, looked up in the
// working directory and beside the labs directory.
const CourseFile = "wirebook.yaml"

// CourseConfig is a course's wirebook.yaml: named environments, each giving
// the servers the labs' server names stand for.
type CourseConfig struct {
	Path         string                 `yaml:"-"`
	Default      string                 `yaml:"default"`
	Environments map[string]Environment `yaml:"environments"`
	// LabServers configures `wirebook servers` and --servers local.
	LabServers LabServers `yaml:"lab_servers"`
}

// Environment maps lab server names to servers. The name "default" stands
// for blocks that name no server.
type Environment struct {
	Servers map[string]lab.ServerEntry `yaml:"servers"`
	// Transcripts is a directory (relative to wirebook.yaml) holding this
	// environment's own expected transcripts, when its servers legitimately
	// word things differently from the embedded ones.
	Transcripts string `yaml:"transcripts"`
	// Reset is a shell command run (in the directory of wirebook.yaml)
	// before each lab, to give it fresh mailboxes as the embedded servers
	// do; labs then run one at a time.
	Reset string `yaml:"reset"`
	// Settle is a pause before each block after the first: a real MTA
	// delivers after it has answered, so a POP3 block right after an SMTP
	// one could otherwise find nothing yet.
	Settle Duration `yaml:"settle"`
	// Concurrency caps how many labs run against these servers at once
	// (default: 32, or the pool's size; 1 with a reset and no pool).
	Concurrency int `yaml:"concurrency"`
	// Pool lets labs run at once without sharing mailboxes: each running
	// lab takes one slot, whose entries are laid over the servers of the
	// same name (other ports, or another user and password), and the reset
	// command gets the slot's number in WIREBOOK_SLOT.
	Pool []map[string]lab.ServerEntry `yaml:"pool"`
	// Masks names optional masks applied to every lab under these servers
	// (e.g. port: the slots of a pool listen on different ports).
	Masks []string `yaml:"masks"`
}

// Duration is a time.Duration written as "500ms" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 500ms", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Env returns the named environment with its paths made absolute.
func (c *CourseConfig) Env(name string) (Environment, bool) {
	if c == nil {
		return Environment{}, false
	}
	env, ok := c.Environments[name]
	if ok && env.Transcripts != "" && !filepath.IsAbs(env.Transcripts) {
		env.Transcripts = filepath.Join(filepath.Dir(c.Path), env.Transcripts)
	}
	return env, ok
}

// EmbeddedEnv is the environment that needs no configuration: every server
// is the embedded lab server set.
const EmbeddedEnv = "embedded"

// LoadCourseConfig reads a wirebook.yaml; errors carry file:line.
func LoadCourseConfig(path string) (*CourseConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c CourseConfig
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(path, err)
	}
	c.Path = path
	if err := c.LabServers.check(path); err != nil {
		return nil, err
	}
	for name, env := range c.Environments {
		if err := env.validate(name); err != nil {
			return nil, &lab.Error{File: path, Msg: err.Error()}
		}
		for server, e := range env.Servers {
			if e.URL != "" {
				if _, err := ParseServerURL(e.URL); err != nil {
					return nil, &lab.Error{File: path, Msg: fmt.Sprintf("environment %q, server %q: %v", name, server, err)}
				}
			}
		}
	}
	return &c, nil
}

func yamlError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		_, rest, _ := strings.Cut(msg, ":")
		return &lab.Error{File: path, Line: line, Msg: strings.TrimSpace(rest)}
	}
	return &lab.Error{File: path, Msg: msg}
}

// FindCourseConfig returns the wirebook.yaml that applies to labs under
// paths: in the working directory, else beside the first labs directory.
func FindCourseConfig(paths []string) string {
	candidates := []string{CourseFile}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		if st, err := os.Stat(abs); err == nil && !st.IsDir() {
			abs = filepath.Dir(abs)
		}
		candidates = append(candidates, filepath.Join(abs, CourseFile), filepath.Join(filepath.Dir(abs), CourseFile))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	return ""
}

// EnvironmentNames lists the configured environments plus "embedded".
func (c *CourseConfig) EnvironmentNames() []string {
	names := []string{EmbeddedEnv}
	if c != nil {
		for n := range c.Environments {
			if n != EmbeddedEnv {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names[1:])
	return names
}

// ServerNames lists the server names any environment defines, sorted.
func (c *CourseConfig) ServerNames() []string {
	if c == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, env := range c.Environments {
		for name := range env.Servers {
			if !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// ResolveServers computes the server overrides in force, by precedence:
// --server flags, then WIREBOOK_SERVER_<NAME> environment variables, then
// the chosen environment of the course file. The environment is chosen by
// --env, else WIREBOOK_ENV, else the file's "default", else "embedded".
// The labs' own front matter and the embedded servers come after these.
func ResolveServers(cfg *CourseConfig, envFlag string, serverFlags []string, lookupEnv func(string) (string, bool)) (map[string]lab.ServerEntry, string, error) {
	envName := envFlag
	if envName == "" {
		if v, ok := lookupEnv("WIREBOOK_ENV"); ok && v != "" {
			envName = v
		}
	}
	if envName == "" && cfg != nil && cfg.Default != "" {
		envName = cfg.Default
	}
	if envName == "" {
		envName = EmbeddedEnv
	}
	out := map[string]lab.ServerEntry{}
	if envName != EmbeddedEnv || (cfg != nil && cfg.Environments[EmbeddedEnv].Servers != nil) {
		var env Environment
		ok := false
		if cfg != nil {
			env, ok = cfg.Environments[envName]
		}
		if !ok && envName != EmbeddedEnv {
			where := "no " + CourseFile + " was found"
			if cfg != nil {
				where = fmt.Sprintf("%s defines: %s", cfg.Path, strings.Join(cfg.EnvironmentNames(), ", "))
			}
			return nil, "", fmt.Errorf("unknown environment %q (%s)", envName, where)
		}
		for k, v := range env.Servers {
			out[k] = v
		}
	}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if name, ok := strings.CutPrefix(k, "WIREBOOK_SERVER_"); ok && name != "" {
			if val, ok := lookupEnv(k); ok {
				v = val
			}
			e, err := ParseServerSpec(v)
			if err != nil {
				return nil, "", fmt.Errorf("%s: %v", k, err)
			}
			out[strings.ToLower(name)] = e
		}
	}
	for _, s := range serverFlags {
		name, spec, ok := strings.Cut(s, "=")
		if i := strings.Index(s, "://"); i >= 0 && (!ok || i < len(name)) {
			name, spec, ok = "default", s, true // a bare URL: blocks that name no server
		}
		if !ok || name == "" || spec == "" {
			return nil, "", fmt.Errorf("--server %q: want URL or NAME=URL", s)
		}
		e, err := ParseServerSpec(spec)
		if err != nil {
			return nil, "", fmt.Errorf("--server %s: %v", name, err)
		}
		out[name] = e
	}
	return out, envName, nil
}

// ParseServerSpec reads "embedded", "local" or a server URL.
func ParseServerSpec(spec string) (lab.ServerEntry, error) {
	switch spec {
	case EmbeddedEnv:
		return lab.ServerEntry{Embedded: true}, nil
	case "local":
		return lab.ServerEntry{Local: true}, nil
	}
	return ParseServerURL(spec)
}

// Schemes are the URL schemes a server may be given with, and their ports.
var Schemes = map[string]int{
	"smtp": 25, "smtps": 465, "submission": 587,
	"pop3": 110, "pop3s": 995, "imap": 143, "imaps": 993,
	"http": 80, "https": 443,
}

// ParseServerURL reads scheme://[user@]host[:port][?ca=FILE&insecure=true].
func ParseServerURL(s string) (lab.ServerEntry, error) {
	u, err := url.Parse(s)
	if err != nil {
		return lab.ServerEntry{}, fmt.Errorf("bad server URL: %v", errors.Unwrap(err))
	}
	if _, has := u.User.Password(); has {
		return lab.ServerEntry{}, fmt.Errorf("bad server URL: a password in a URL would be shown (in ps, in shell history); give the user alone (smtp://alice@host:port) and the password in the environment variable %s, or as password: ${VARIABLE} in %s", PasswordEnv, CourseFile)
	}
	if u.Scheme == "" || u.Opaque != "" || !strings.Contains(s, "://") {
		return lab.ServerEntry{}, fmt.Errorf("bad server URL %q: want scheme://host[:port], e.g. smtp://127.0.0.1:2525", s)
	}
	std, ok := Schemes[u.Scheme]
	if !ok {
		return lab.ServerEntry{}, fmt.Errorf("bad server URL %q: unknown scheme %q (known: %s)", s, u.Scheme, strings.Join(sortedSchemes(), ", "))
	}
	if u.Hostname() == "" {
		return lab.ServerEntry{}, fmt.Errorf("bad server URL %q: no host", s)
	}
	port := std
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return lab.ServerEntry{}, fmt.Errorf("bad server URL %q: port %q is not a number from 1 to 65535", s, p)
		}
		port = n
	}
	e := lab.ServerEntry{URL: s, Host: u.Hostname(), Ports: map[string]int{u.Scheme: port}}
	if u.User != nil {
		e.User = u.User.Username()
	}
	q := u.Query()
	e.CAFile = q.Get("ca")
	if v := q.Get("insecure"); v != "" {
		e.Insecure = v == "true" || v == "1"
	}
	return e, nil
}

func sortedSchemes() []string {
	var out []string
	for k := range Schemes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (env Environment) validate(name string) error {
	if env.Concurrency < 0 {
		return fmt.Errorf("environment %q: concurrency %d: want 1 or more", name, env.Concurrency)
	}
	for i, slot := range env.Pool {
		for server := range slot {
			if _, ok := env.Servers[server]; !ok {
				return fmt.Errorf("environment %q, pool slot %d: server %q is not one of its servers", name, i+1, server)
			}
		}
	}
	for _, m := range env.Masks {
		if _, ok := check.OptionalMasks[m]; !ok {
			return fmt.Errorf("environment %q: unknown mask %q (known: %s)", name, m, strings.Join(check.OptionalMaskNames(), ", "))
		}
	}
	return nil
}
