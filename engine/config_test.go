package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const courseYAML = `default: embedded
environments:
  real:
    servers:
      default:
        host: 127.0.0.1
        ports: {smtp: 10025, imap: 10143}
        ca: /tmp/ca.pem
      web:
        url: http://127.0.0.1:10080
`

func writeConfig(t *testing.T, content string) *CourseConfig {
	t.Helper()
	p := filepath.Join(t.TempDir(), CourseFile)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCourseConfig(p)
	if err != nil {
		t.Fatalf("LoadCourseConfig: %v", err)
	}
	return c
}

func noEnv(string) (string, bool) { return "", false }

func TestEnvironmentPrecedence(t *testing.T) {
	cfg := writeConfig(t, courseYAML)
	// Course file default: embedded, no overrides.
	servers, env, err := ResolveServers(cfg, "", nil, noEnv)
	if err != nil || env != "embedded" || len(servers) != 0 {
		t.Fatalf("default: %v %q %v", servers, env, err)
	}
	// Environment variable beats the file's default.
	servers, env, _ = ResolveServers(cfg, "", nil, func(k string) (string, bool) {
		if k == "WIREBOOK_ENV" {
			return "real", true
		}
		return "", false
	})
	if env != "real" || servers["default"].Ports["smtp"] != 10025 {
		t.Errorf("WIREBOOK_ENV=real: %q %v", env, servers)
	}
	// The flag beats the variable.
	_, env, _ = ResolveServers(cfg, "embedded", nil, func(k string) (string, bool) { return "real", k == "WIREBOOK_ENV" })
	if env != "embedded" {
		t.Errorf("--env embedded with WIREBOOK_ENV=real chose %q", env)
	}
	// A --server flag beats the environment's entry for that name.
	servers, _, _ = ResolveServers(cfg, "real", []string{"web=https://127.0.0.1:10443"}, noEnv)
	if servers["web"].Ports["https"] != 10443 || servers["default"].Host != "127.0.0.1" {
		t.Errorf("--server web=...: %v", servers)
	}
	// WIREBOOK_SERVER_<NAME> sits between the flag and the file.
	t.Setenv("WIREBOOK_SERVER_WEB", "http://127.0.0.1:18080")
	servers, _, _ = ResolveServers(cfg, "real", nil, os.LookupEnv)
	if servers["web"].Ports["http"] != 18080 {
		t.Errorf("WIREBOOK_SERVER_WEB: %v", servers["web"])
	}
	servers, _, _ = ResolveServers(cfg, "real", []string{"web=http://127.0.0.1:1"}, os.LookupEnv)
	if servers["web"].Ports["http"] != 1 {
		t.Errorf("flag did not beat WIREBOOK_SERVER_WEB: %v", servers["web"])
	}
	if _, _, err := ResolveServers(cfg, "staging", nil, noEnv); err == nil || !strings.Contains(err.Error(), `unknown environment "staging"`) || !strings.Contains(err.Error(), "real") {
		t.Errorf("unknown environment error = %v", err)
	}
}

func TestParseServerURL(t *testing.T) {
	good := []struct {
		in, scheme, host string
		port             int
		user             string
	}{
		{"smtp://mail.example.org", "smtp", "mail.example.org", 25, ""},
		{"submission://alice@127.0.0.1", "submission", "127.0.0.1", 587, "alice"},
		{"imaps://[::1]:1993", "imaps", "::1", 1993, ""},
		{"https://127.0.0.1:10443?ca=/tmp/ca.pem", "https", "127.0.0.1", 10443, ""},
	}
	for _, tt := range good {
		e, err := ParseServerURL(tt.in)
		if err != nil {
			t.Errorf("ParseServerURL(%q): %v", tt.in, err)
			continue
		}
		if e.Host != tt.host || e.Ports[tt.scheme] != tt.port || e.User != tt.user {
			t.Errorf("ParseServerURL(%q) = %+v", tt.in, e)
		}
	}
	bad := []struct{ in, want string }{
		{"mail.example.org:25", "want scheme://host"},
		{"gopher://x", `unknown scheme "gopher"`},
		{"smtp://", "no host"},
		{"smtp://x:99999", "not a number from 1 to 65535"},
		{"smtp://x:port", "bad server URL"},
		{"imap://alice:secret@x", "a password in a URL"},
	}
	for _, tt := range bad {
		_, err := ParseServerURL(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseServerURL(%q) error = %v, want %q", tt.in, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error repeats the password: %v", err)
		}
	}
}

func TestConfigErrorsHavePositions(t *testing.T) {
	p := filepath.Join(t.TempDir(), CourseFile)
	os.WriteFile(p, []byte("environments:\n  real:\n    servrs: {}\n"), 0o644)
	_, err := LoadCourseConfig(p)
	if err == nil || !strings.Contains(err.Error(), CourseFile+":3:") {
		t.Errorf("error = %v, want file:3", err)
	}
	os.WriteFile(p, []byte("environments:\n  real:\n    servers:\n      mail: {url: 'gopher://x'}\n"), 0o644)
	if _, err := LoadCourseConfig(p); err == nil || !strings.Contains(err.Error(), "gopher") {
		t.Errorf("bad URL in file: %v", err)
	}
}

func TestPoolConfiguration(t *testing.T) {
	p := filepath.Join(t.TempDir(), CourseFile)
	good := "environments:\n  real:\n    concurrency: 2\n    masks: [port]\n    servers:\n      default: {host: 127.0.0.1, ports: {smtp: 10025}, user: a}\n    pool:\n      - {}\n      - default: {ports: {smtp: 11025}, user: b}\n"
	os.WriteFile(p, []byte(good), 0o644)
	cfg, err := LoadCourseConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	env, _ := cfg.Env("real")
	if env.Concurrency != 2 || len(env.Pool) != 2 || env.Masks[0] != "port" {
		t.Fatalf("%+v", env)
	}
	slot2 := OverlayServer(env.Servers["default"], env.Pool[1]["default"])
	if slot2.Host != "127.0.0.1" || slot2.Ports["smtp"] != 11025 || slot2.User != "b" || env.Servers["default"].Ports["smtp"] != 10025 {
		t.Errorf("slot 2 = %+v; the environment's own entry must stay as it was: %+v", slot2, env.Servers["default"])
	}
	for bad, want := range map[string]string{
		"environments:\n  real:\n    servers: {default: {host: x}}\n    pool:\n      - mail: {user: b}\n": `pool slot 1: server "mail" is not one of its servers`,
		"environments:\n  real:\n    masks: [ports]\n":                                                    `unknown mask "ports"`,
		"environments:\n  real:\n    concurrency: -1\n":                                                   "concurrency -1",
	} {
		os.WriteFile(p, []byte(bad), 0o644)
		if _, err := LoadCourseConfig(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", bad, err, want)
		}
	}
}
