package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/engine/highlight"
)

// scaffold is the course `wirebook new` writes: it builds at once.
var scaffold = map[string]string{
	"labs/index.md": `---
title: My protocols course
---
Welcome. Each lab below runs real protocol sessions; the transcripts on
these pages were captured from a server when the site was built.
`,
	"labs/first-lab.md": "---\ntitle: A first SMTP session\norder: 1\n---\n# A first SMTP session\n\n" +
		"The server speaks first; the client introduces itself and says goodbye.\n\n" +
		"<!-- The S: and N: lines were written by running this block against the\n" +
		"embedded lab server; `wirebook check` verifies them, `wirebook update`\n" +
		"rewrites them after you change the C: lines. -->\n\n" +
		"```smtp\nC: EHLO client.example\nC: QUIT\n```\n",
	"wirebook.mk": `# Include from your Makefile:  include wirebook.mk
WIREBOOK ?= wirebook

.PHONY: site check update
site:
	$(WIREBOOK) build --out public labs
check:
	$(WIREBOOK) check labs
update:
	$(WIREBOOK) update labs
`,
	".gitignore": "/public/\n/.wirebook/\n",
}

func cmdNew(env *cliEnv, args []string) int {
	fs := newFlagSet(env, "new", "DIR", "Creates a new course in DIR (labs/index.md, one lab, a Makefile snippet) that builds at once.")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one DIR, got %d", fs.NArg())
	}
	dir := fs.Arg(0)
	for name := range scaffold {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			fmt.Fprintf(env.stderr, "wirebook new: %s already exists; nothing written\n", filepath.Join(dir, name))
			return exitUsage
		} else if !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintln(env.stderr, "wirebook new:", err)
			return exitFailed
		}
	}
	for _, name := range []string{"labs/index.md", "labs/first-lab.md", "wirebook.mk", ".gitignore"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Fprintln(env.stderr, "wirebook new:", err)
			return exitFailed
		}
		if err := os.WriteFile(p, []byte(scaffold[name]), 0o644); err != nil {
			fmt.Fprintln(env.stderr, "wirebook new:", err)
			return exitFailed
		}
	}
	// The starter's S: lines come from running it, as `update` would, so
	// `check` verifies it as created and the text never drifts from the
	// embedded servers.
	if err := writeStarterTranscripts(env, filepath.Join(dir, "labs", "first-lab.md")); err != nil {
		fmt.Fprintf(env.stderr, "wirebook new: created a course in %s, but its first lab could not be run against the embedded lab servers: %v\n"+
			"Its S: lines are missing; run 'wirebook update' in %s when the servers work.\n", dir, err, dir)
		return exitFailed
	}
	io.WriteString(env.stdout, nextSteps(dir, selfCommand(), runtime.GOOS))
	return exitOK
}

// writeStarterTranscripts runs the lab at path against the embedded lab
// servers only (no course file, environment or cache applies) and writes
// their side into it.
func writeStarterTranscripts(env *cliEnv, path string) error {
	eng := engine.New(engine.Options{Registry: registry(), Embedded: newEmbeddedProvider(), LookupEnv: env.lookupEnv, Now: env.clock()})
	r := eng.RunLab(context.Background(), path)
	if r.Err != nil {
		return r.Err
	}
	changes, skipped := engine.PlanUpdate(r)
	for _, s := range skipped {
		return fmt.Errorf("%s:%d: %s", r.Path, s.Block.Line, highlight.Neutralise(s.Reason))
	}
	return engine.WriteUpdate(r, changes)
}

// nextSteps tells what to do with a new course in commands that work on
// goos as printed: cd, then serve, or build and open the page with the
// system's opener (xdg-open, open, start) or its file:// address.
func nextSteps(dir, self, goos string) string {
	page := filepath.Join("public", "index.html")
	opener := "xdg-open " + page
	switch goos {
	case "darwin":
		opener = "open " + page
	case "windows":
		opener = `start public\index.html`
	}
	var b strings.Builder
	fmt.Fprintf(&b, "created a course in %s; its first lab holds what the embedded lab servers answered, and '%s check' verifies it\n", dir, self)
	fmt.Fprintf(&b, "next:\n  cd %s\n  %s serve          preview on http://127.0.0.1:8080/, rebuilt on every save\n", quoteArg(dir, goos), self)
	fmt.Fprintf(&b, "or build the site once and open it:\n  %s build\n  %s\n", self, opener)
	if abs, err := filepath.Abs(filepath.Join(dir, page)); err == nil {
		fmt.Fprintf(&b, "  (or open %s in a browser)\n", fileURL(abs))
	}
	return b.String()
}

// quoteArg quotes a directory with spaces for the shell the hint is for.
func quoteArg(s, goos string) string {
	if !strings.ContainsAny(s, " \t'\"&;()$`") {
		return s
	}
	if goos == "windows" {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fileURL is the file:// address of an absolute path ("file:///C:/..." on
// Windows).
func fileURL(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// selfCommand is how to run this wirebook again after a cd: "wirebook"
// when it was found on PATH, else the absolute path it was started by
// (e.g. bin/wirebook after make build). A `go run` binary is gone when it
// exits, so it is named "wirebook" too.
func selfCommand() string {
	arg0 := os.Args[0]
	if !strings.ContainsAny(arg0, `/\`) {
		return "wirebook"
	}
	abs, err := filepath.Abs(arg0)
	if err != nil || strings.Contains(abs, "go-build") {
		return "wirebook"
	}
	return quoteArg(abs, runtime.GOOS)
}
