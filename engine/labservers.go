package engine

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/wirebook/wirebook/engine/lab"
)

// LabServers is the lab_servers: section of wirebook.yaml: how `wirebook
// servers` runs for this course (flags override each field), and so where
// --servers local finds it.
type LabServers struct {
	Addr     string         `yaml:"addr"`      // host to listen on; default 127.0.0.1
	PortBase *int           `yaml:"port_base"` // standard port + base; default 20000, 0 for free ports
	Ports    map[string]int `yaml:"ports"`     // per service, over port_base
	Store    string         `yaml:"store"`     // Maildir directory, relative to wirebook.yaml; "" in memory
	Domain   string         `yaml:"domain"`    // mail domain; default example.com
	Users    []LabUser      `yaml:"users"`     // accounts; default alice and bob
}

// LabUser is one account of the lab servers. Password is usually
// ${VARIABLE}, read from the environment when the servers start.
type LabUser struct {
	Name     string `yaml:"name"`
	Password string `yaml:"password"`
}

// LabServices are the services of the lab server set, in the order they
// are listed.
var LabServices = []string{"smtp", "smtps", "submission", "pop3", "pop3s", "imap", "imaps", "http", "https"}

func (ls *LabServers) check(path string) error {
	bad := func(format string, a ...any) error {
		return &lab.Error{File: path, Msg: "lab_servers: " + fmt.Sprintf(format, a...)}
	}
	for svc, p := range ls.Ports {
		if !isLabService(svc) {
			return bad("ports: unknown service %q (known: %s)", svc, strings.Join(LabServices, ", "))
		}
		if p < 0 || p > 65535 {
			return bad("ports: %s: %d is not a port from 0 to 65535", svc, p)
		}
	}
	if ls.PortBase != nil && (*ls.PortBase < 0 || *ls.PortBase > 65535-995) {
		return bad("port_base: %d is not from 0 to %d", *ls.PortBase, 65535-995)
	}
	for i, u := range ls.Users {
		if err := CheckUserName(u.Name); err != nil {
			return bad("users[%d]: %v", i, err)
		}
		if u.Password == "" {
			return bad("users[%d] (%s): no password; write password: ${VARIABLE} and set the variable", i, u.Name)
		}
	}
	if ls.Store != "" && !filepath.IsAbs(ls.Store) {
		ls.Store = filepath.Join(filepath.Dir(path), ls.Store)
		if abs, err := filepath.Abs(ls.Store); err == nil {
			ls.Store = abs
		}
	}
	return nil
}

func isLabService(s string) bool {
	for _, v := range LabServices {
		if v == s {
			return true
		}
	}
	return false
}

// CheckUserName accepts a login usable in every protocol and as a
// directory name: letters, digits, '.', '_', '-', not starting with '.'.
func CheckUserName(name string) error {
	if name == "" {
		return fmt.Errorf("empty user name")
	}
	if name[0] == '.' || name[0] == '-' {
		return fmt.Errorf("user name %q starts with %q", name, name[0])
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("user name %q: only letters, digits, '.', '_' and '-'", name)
		}
	}
	return nil
}
