package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/protocols/labserver"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

// DefaultPortBase puts every service at its standard port plus 20000
// (smtp 20025, imaps 20993, https 20443): above 1024, so no root is
// needed, and below the ephemeral ranges of Linux, macOS and Windows, so
// no outgoing connection takes them first.
const DefaultPortBase = 20000

// serversFlags are the flags of `wirebook servers`.
type serversFlags struct {
	addr     string
	portBase int
	ports    []string
	store    string
	domain   string
	users    []string
	accounts string
	config   string
	noAuto   bool
}

func (f *serversFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "", "`HOST` to listen on (default 127.0.0.1, loopback)")
	fs.IntVar(&f.portBase, "port-base", DefaultPortBase, "put each service at its standard port plus `N` (smtp N+25, imaps N+993); 0 for free ports")
	fs.StringArrayVar(&f.ports, "port", nil, "give one service its own port, `SERVICE=PORT` (e.g. smtp=2525); repeatable")
	fs.StringVar(&f.store, "store", "", "keep the mail in `DIR` (one Maildir per user) across restarts; default: in memory")
	fs.StringVar(&f.domain, "domain", "", "mail `DOMAIN` of the accounts (default example.com)")
	fs.StringArrayVar(&f.users, "user", nil, "an account `NAME`, its password in $WIREBOOK_PASSWORD_NAME; repeatable; replaces alice and bob")
	fs.StringVar(&f.accounts, "accounts", "", "read accounts from `FILE`, one name:password a line; replaces alice and bob")
	fs.StringVar(&f.config, "config", "", "course configuration `FILE` whose lab_servers: section applies (default: ./wirebook.yaml)")
	fs.BoolVar(&f.noAuto, "no-autoconfig", false, "do not serve Thunderbird's autoconfig file from the web services")
}

// labSetup is how the lab servers run, from flags, wirebook.yaml and the
// defaults.
type labSetup struct {
	Addr   string
	Ports  map[string]int // 0: a free port
	Store  string
	Domain string
	Users  []mailstore.User
	// From says where each user's password came from, to print instead
	// of a password that is not the public lab default.
	From map[string]string
	// DefaultAccounts is true for the built-in alice and bob, whose
	// passwords every lab page shows anyway.
	DefaultAccounts bool
}

// loadLabServers reads the lab_servers: section of the course file at
// path, or of ./wirebook.yaml when path is "".
func loadLabServers(path string) (engine.LabServers, error) {
	if path == "" {
		if _, err := os.Stat(engine.CourseFile); err != nil {
			return engine.LabServers{}, nil
		}
		path = engine.CourseFile
	}
	cfg, err := engine.LoadCourseConfig(path)
	if err != nil {
		return engine.LabServers{}, err
	}
	return cfg.LabServers, nil
}

// resolveLabSetup merges the flags (nil for none: --servers local) over the
// course's lab_servers: and the defaults; resolveUsers adds the accounts.
func resolveLabSetup(f *serversFlags, fs *pflag.FlagSet, ls engine.LabServers) (*labSetup, error) {
	set := &labSetup{Addr: "127.0.0.1", Domain: mailstore.DefaultDomain, Store: ls.Store, From: map[string]string{}}
	if ls.Addr != "" {
		set.Addr = ls.Addr
	}
	if ls.Domain != "" {
		set.Domain = ls.Domain
	}
	base := DefaultPortBase
	if ls.PortBase != nil {
		base = *ls.PortBase
	}
	if f != nil && fs.Changed("port-base") {
		base = f.portBase
	}
	if base < 0 || base > 65535-995 {
		return nil, fmt.Errorf("--port-base %d: want 0 (free ports) or a base from 1 to %d", base, 65535-995)
	}
	set.Ports = labserver.PortsFrom(base)
	for svc, p := range ls.Ports {
		set.Ports[svc] = p
	}
	if f != nil {
		if f.addr != "" {
			set.Addr = f.addr
		}
		if f.domain != "" {
			set.Domain = f.domain
		}
		if f.store != "" {
			set.Store = f.store
			if abs, err := filepath.Abs(f.store); err == nil {
				set.Store = abs
			}
		}
		for _, kv := range f.ports {
			svc, p, ok := strings.Cut(kv, "=")
			n, err := strconv.Atoi(p)
			if !ok || err != nil || n < 0 || n > 65535 {
				return nil, fmt.Errorf("--port %q: want SERVICE=PORT with a port from 0 to 65535, e.g. smtp=2525", kv)
			}
			if _, known := labserver.StandardPorts[svc]; !known {
				return nil, fmt.Errorf("--port %q: unknown service %q (known: %s)", kv, svc, strings.Join(engine.LabServices, ", "))
			}
			set.Ports[svc] = n
		}
	}
	if err := checkPortClashes(set.Ports); err != nil {
		return nil, err
	}
	return set, nil
}

func checkPortClashes(ports map[string]int) error {
	by := map[int]string{}
	for _, svc := range engine.LabServices {
		p := ports[svc]
		if p == 0 {
			continue
		}
		if other, ok := by[p]; ok {
			return fmt.Errorf("%s and %s would both listen on port %d: give one of them another with --port SERVICE=PORT", other, svc, p)
		}
		by[p] = svc
	}
	return nil
}

// resolveUsers takes the accounts of --user and --accounts, else of
// wirebook.yaml, else alice and bob. Passwords never come from the command
// line: ps would show them to every user of the machine.
func resolveUsers(f *serversFlags, ls engine.LabServers, set *labSetup, lookupEnv func(string) (string, bool)) ([]mailstore.User, error) {
	var users []mailstore.User
	add := func(name, password, from string) error {
		if err := engine.CheckUserName(name); err != nil {
			return err
		}
		for _, u := range users {
			if strings.EqualFold(u.Name, name) {
				return fmt.Errorf("account %q is given twice", name)
			}
		}
		users = append(users, mailstore.User{Name: name, Password: password})
		set.From[name] = from
		return nil
	}
	if f != nil && f.accounts != "" {
		if err := readAccounts(f.accounts, add); err != nil {
			return nil, err
		}
	}
	if f != nil {
		for _, name := range f.users {
			v := userPasswordEnv(name)
			pw, ok := lookupEnv(v)
			if !ok || pw == "" {
				return nil, fmt.Errorf("--user %s: no password: set %s in the environment (or list %s in --accounts FILE)", name, v, name)
			}
			if err := add(name, pw, "$"+v); err != nil {
				return nil, fmt.Errorf("--user: %v", err)
			}
		}
	}
	if len(users) == 0 {
		for i, u := range ls.Users {
			pw, from, err := expandPassword(u.Password, lookupEnv)
			if err != nil {
				return nil, fmt.Errorf("lab_servers: users[%d] (%s): %v", i, u.Name, err)
			}
			if err := add(u.Name, pw, from); err != nil {
				return nil, fmt.Errorf("lab_servers: %v", err)
			}
		}
	}
	if len(users) == 0 {
		set.DefaultAccounts = true
		for _, u := range mailstore.DefaultUsers {
			_ = add(u.Name, u.Password, "")
		}
	}
	return users, nil
}

// userPasswordEnv is the variable --user NAME reads: WIREBOOK_PASSWORD_NAME
// with NAME upper-cased and '.' and '-' as '_'.
func userPasswordEnv(name string) string {
	return engine.PasswordEnv + "_" + strings.NewReplacer(".", "_", "-", "_").Replace(strings.ToUpper(name))
}

// expandPassword reads a configured password: ${VARIABLE} from the
// environment, else the text itself.
func expandPassword(p string, lookupEnv func(string) (string, bool)) (value, from string, err error) {
	if name, ok := strings.CutPrefix(p, "${"); ok && strings.HasSuffix(name, "}") {
		name = strings.TrimSuffix(name, "}")
		v, ok := lookupEnv(name)
		if !ok || v == "" {
			return "", "", fmt.Errorf("password ${%s}: the environment variable %s is not set", name, name)
		}
		return v, "$" + name, nil
	}
	return p, engine.CourseFile, nil
}

// readAccounts reads name:password lines; '#' starts a comment line.
func readAccounts(path string, add func(name, password, from string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--accounts: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		name, pw, ok := strings.Cut(line, ":")
		if !ok || pw == "" {
			return fmt.Errorf("%s:%d: want name:password", path, n)
		}
		if err := add(strings.TrimSpace(name), pw, path); err != nil {
			return fmt.Errorf("%s:%d: %v", path, n, err)
		}
	}
	return sc.Err()
}

func cmdServers(env *cliEnv, args []string) int {
	fs := newFlagSet(env, "servers", "[flags]", "Starts the embedded lab servers (SMTP, POP3, IMAP, HTTP; one shared mail store) on fixed ports and prints how to reach them. Stop with Ctrl-C.")
	var f serversFlags
	f.register(fs.FlagSet)
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	fail := func(err error) int {
		fmt.Fprintln(env.stderr, "wirebook servers:", err)
		return exitFailed
	}
	ls, err := loadLabServers(f.config)
	if err != nil {
		return fail(err)
	}
	setup, err := resolveLabSetup(&f, fs.FlagSet, ls)
	if err == nil {
		setup.Users, err = resolveUsers(&f, ls, setup, env.lookupEnv)
	}
	if err != nil {
		fmt.Fprintln(env.stderr, "wirebook servers:", err)
		return exitUsage
	}
	stop, release := untilInterrupted()
	defer release()
	b, err := newEmbeddedProvider().tlsBundle()
	if err != nil {
		return fail(err)
	}
	cfg := labserver.Config{TLS: b, Addr: setup.Addr, Ports: setup.Ports, Clock: mailstore.SystemClock{},
		Autoconfig: !f.noAuto}
	storeCfg := mailstore.Config{Domain: setup.Domain, Users: setup.Users, Clock: mailstore.SystemClock{}}
	if setup.Store != "" {
		if cfg.Store, err = mailstore.Open(setup.Store, storeCfg); err != nil {
			return fail(err)
		}
		defer cfg.Store.Close()
	} else {
		cfg.Store = mailstore.New(storeCfg)
	}
	set, err := labserver.Start(cfg)
	if err != nil {
		var le *labserver.ListenError
		if errors.As(err, &le) {
			return fail(fmt.Errorf("%s cannot listen on %s: %v.\n  Another program (or another wirebook servers) has the port: stop it, or move every service with --port-base N, or this one with --port %s=PORT", le.Service, le.Addr, le.Err, le.Service))
		}
		return fail(err)
	}
	defer set.Close()
	state := serversState{Pid: os.Getpid(), Addrs: map[string]string{}, Domain: setup.Domain, User: setup.Users[0].Name,
		DefaultAccounts: setup.DefaultAccounts, CAFile: b.CAFile}
	for _, svc := range set.Services() {
		state.Addrs[svc] = set.Addr(svc)
	}
	if err := writeServersState(state); err != nil {
		fmt.Fprintln(env.stderr, "wirebook servers: --servers local will not find these servers:", err)
	}
	defer removeServersState(state.Pid)
	printServers(env, set, setup, b.CAFile, !f.noAuto)
	<-stop
	return exitOK
}

// printServers tells a student everything needed to use the servers.
func printServers(env *cliEnv, set *labserver.Set, setup *labSetup, caFile string, autoconfig bool) {
	w := env.stdout
	fmt.Fprintln(w, "wirebook lab servers (Ctrl-C to stop):")
	for _, svc := range set.Services() {
		fmt.Fprintf(w, "  %-10s %s\n", svc, set.Addr(svc))
	}
	var accounts []string
	for _, u := range setup.Users {
		if setup.DefaultAccounts {
			accounts = append(accounts, fmt.Sprintf("%s@%s (password %s)", u.Name, setup.Domain, u.Password))
		} else {
			accounts = append(accounts, fmt.Sprintf("%s@%s (password from %s)", u.Name, setup.Domain, setup.From[u.Name]))
		}
	}
	fmt.Fprintf(w, "users: %s\n", strings.Join(accounts, ", "))
	if setup.Store != "" {
		fmt.Fprintf(w, "mail: kept in %s (a Maildir per user)\n", setup.Store)
	} else {
		fmt.Fprintln(w, "mail: in memory, lost on Ctrl-C (--store DIR keeps it)")
	}
	if caFile != "" {
		fmt.Fprintf(w, "TLS: trust the lab CA in %s\n", caFile)
	}
	host, _ := splitHostPort(set.Addr(labserver.SMTP))
	u := setup.Users[0]
	port := func(svc string) string { _, p := splitHostPort(set.Addr(svc)); return p }

	fmt.Fprintln(w, "\nFor a shell (sh, bash, zsh), paste:")
	fmt.Fprintf(w, "  export WIREBOOK_HOST=%s\n", host)
	for _, svc := range sortedServices() {
		fmt.Fprintf(w, "  export WIREBOOK_%s_PORT=%s\n", strings.ToUpper(svc), port(svc))
	}
	fmt.Fprintf(w, "  export WIREBOOK_CA_FILE=%s\n", shellQuote(caFile))
	fmt.Fprintf(w, "  export WIREBOOK_USER=%s\n", u.Name)
	if setup.DefaultAccounts {
		fmt.Fprintf(w, "  export WIREBOOK_PASSWORD=%s\n", u.Password)
	} else if v, ok := strings.CutPrefix(setup.From[u.Name], "$"); ok {
		fmt.Fprintf(w, "  export WIREBOOK_PASSWORD=\"$%s\"\n", v)
	} else {
		fmt.Fprintf(w, "  export WIREBOOK_PASSWORD=...   # %s's password, from %s\n", u.Name, setup.From[u.Name])
	}

	fmt.Fprintln(w, "\nFor Python, paste:")
	fmt.Fprintf(w, "  HOST = %q\n", host)
	for _, svc := range sortedServices() {
		fmt.Fprintf(w, "  %s_PORT = %s\n", strings.ToUpper(svc), port(svc))
	}
	fmt.Fprintf(w, "  CA_FILE = %q\n", caFile)
	fmt.Fprintf(w, "  USER = %q\n", u.Name)
	if setup.DefaultAccounts {
		fmt.Fprintf(w, "  PASSWORD = %q\n", u.Password)
	} else {
		fmt.Fprintln(w, "  import os; PASSWORD = os.environ[\"WIREBOOK_PASSWORD\"]")
	}

	fmt.Fprintln(w, "\nFor a mail client (Thunderbird, Evolution, mutt, ...), add an account:")
	fmt.Fprintf(w, "  address   %s@%s, user name %s\n", u.Name, setup.Domain, u.Name)
	fmt.Fprintf(w, "  incoming  IMAP, server %s, port %s, SSL/TLS (or POP3, port %s, SSL/TLS)\n", host, port(labserver.IMAPS), port(labserver.POP3S))
	fmt.Fprintf(w, "  outgoing  SMTP, server %s, port %s, STARTTLS, normal password\n", host, port(labserver.Submission))
	fmt.Fprintf(w, "  trust     import %s as a certificate authority (Thunderbird: Settings, Privacy & Security, Manage Certificates, Authorities, Import)\n", caFile)
	if autoconfig {
		fmt.Fprintf(w, "  settings as Thunderbird autoconfig: http://%s%s\n", set.Addr(labserver.HTTP), labserver.AutoconfigPath)
	}
	fmt.Fprintln(w, "\nwirebook run|check|build --servers local runs labs against these servers.")
}

// sortedServices lists the services as the Python names are listed.
func sortedServices() []string {
	out := append([]string(nil), engine.LabServices...)
	sort.SliceStable(out, func(i, j int) bool { return serviceRank(out[i]) < serviceRank(out[j]) })
	return out
}

func serviceRank(s string) int {
	for i, p := range []string{"smtp", "submission", "smtps", "pop3", "pop3s", "imap", "imaps", "http", "https"} {
		if p == s {
			return i
		}
	}
	return 99
}

func splitHostPort(addr string) (string, string) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return addr, ""
	}
	return strings.Trim(addr[:i], "[]"), addr[i+1:]
}

// shellQuote quotes s for sh when it holds anything but safe characters.
func shellQuote(s string) string {
	safe := s != ""
	for _, c := range s {
		safe = safe && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/._-+:,@%", c))
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
