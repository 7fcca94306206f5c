package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	fmt.Fprintf(env.stdout, "created a course in %s\nnext: cd %s && wirebook build && open public/index.html\n", dir, dir)
	return exitOK
}
