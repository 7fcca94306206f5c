package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The three variables each give their file, in its format (pprof's are
// gzipped, a trace starts "go 1."); a path that cannot be created is
// reported by the variable's name.
func TestStartProfiles(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"WIREBOOK_CPUPROFILE": filepath.Join(dir, "cpu"),
		"WIREBOOK_MEMPROFILE": filepath.Join(dir, "mem"),
		"WIREBOOK_TRACE":      filepath.Join(dir, "trace"),
	}
	var errOut strings.Builder
	startProfiles(func(k string) string { return env[k] }, &errOut)()
	for name, prefix := range map[string]string{"cpu": "\x1f\x8b", "mem": "\x1f\x8b", "trace": "go 1."} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.HasPrefix(data, []byte(prefix)) {
			t.Errorf("%s: %v, starts %q", name, err, data[:min(len(data), 8)])
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("errors: %s", errOut.String())
	}
	bad := func(k string) string {
		if k == "WIREBOOK_CPUPROFILE" {
			return filepath.Join(dir, "missing", "cpu")
		}
		return ""
	}
	startProfiles(bad, &errOut)()
	if !strings.Contains(errOut.String(), "WIREBOOK_CPUPROFILE") {
		t.Errorf("an unwritable profile is not reported: %q", errOut.String())
	}
}
