package main

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/protocols/labtls"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

// serversState is what a running `wirebook servers` leaves in the user's
// cache directory for --servers local: where it listens and who logs in.
// It never holds a password.
type serversState struct {
	Pid             int               `json:"pid"`
	Addrs           map[string]string `json:"addrs"`
	Domain          string            `json:"domain"`
	User            string            `json:"user"`
	DefaultAccounts bool              `json:"default_accounts"`
	CAFile          string            `json:"ca_file"`
}

func serversStatePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "wirebook", "servers.json"), nil
}

func writeServersState(st serversState) error {
	path, err := serversStatePath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, _ := json.MarshalIndent(st, "", "  ")
	tmp := path + ".tmp" + strconv.Itoa(st.Pid)
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// removeServersState removes the state file if it is still this process's.
func removeServersState(pid int) {
	if st, ok := readServersState(); ok && st.Pid == pid {
		if path, err := serversStatePath(); err == nil {
			os.Remove(path)
		}
	}
}

// readServersState returns the state of a `wirebook servers` that is
// still running; a file left by one that was killed is ignored.
func readServersState() (serversState, bool) {
	var st serversState
	path, err := serversStatePath()
	if err != nil {
		return st, false
	}
	data, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(data, &st) != nil || st.Pid <= 0 {
		return st, false
	}
	return st, processAlive(st.Pid)
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}

// localSet is a running `wirebook servers`, seen by the engine like a set
// of embedded servers that is never started or stopped by it.
type localSet struct {
	addrs      map[string]string
	bundle     *labtls.Bundle
	user, pass string
}

func (l *localSet) Addr(service string) string              { return l.addrs[service] }
func (l *localSet) ClientTLS(serverName string) *tls.Config { return l.bundle.ClientConfig(serverName) }
func (l *localSet) Hostname() string                        { return "mail." + mailstore.DefaultDomain }
func (l *localSet) Credentials() (string, string)           { return l.user, l.pass }
func (l *localSet) Close() error                            { return nil }

// CAFile is the lab CA the servers' certificates chain to (CA_FILE).
func (l *localSet) CAFile() string { return l.bundle.CAFile }

// newLocalSet finds the servers --servers local means: those of a running
// `wirebook servers` (its state file), else where one would listen with
// this course's lab_servers: and the defaults. The login is the first
// account; its password is the public default for alice and bob, else
// $WIREBOOK_PASSWORD (empty when unset, which a block using ${password}
// reports).
func newLocalSet(env *cliEnv, configPath string, bundle *labtls.Bundle) (*localSet, error) {
	set := &localSet{addrs: map[string]string{}, bundle: bundle}
	defaults := map[string]string{}
	for _, u := range mailstore.DefaultUsers {
		defaults[u.Name] = u.Password
	}
	if st, ok := readServersState(); ok {
		set.addrs, set.user = st.Addrs, st.User
		if st.DefaultAccounts {
			set.pass = defaults[st.User]
		}
	} else {
		ls, err := loadLabServers(configPath)
		if err != nil {
			return nil, err
		}
		setup, err := resolveLabSetup(nil, nil, ls)
		if err != nil {
			return nil, fmt.Errorf("--servers local: %w", err)
		}
		for svc, p := range setup.Ports {
			if p != 0 {
				set.addrs[svc] = net.JoinHostPort(setup.Addr, strconv.Itoa(p))
			}
		}
		set.user, set.pass = mailstore.DefaultUsers[0].Name, mailstore.DefaultUsers[0].Password
		if len(ls.Users) > 0 {
			set.user, set.pass = ls.Users[0].Name, ""
		}
	}
	if v, ok := env.lookupEnv(engine.PasswordEnv); ok && v != "" {
		set.pass = v
	}
	if len(set.addrs) == 0 {
		return nil, errors.New("--servers local: no ports known: start wirebook servers first")
	}
	return set, nil
}

var _ engine.EmbeddedSet = (*localSet)(nil)
