package engine

import (
	"regexp"
	"strings"

	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/engine/vars"
)

// secretRef finds the variable names a line refers to, at any depth of
// ${base64:...}.
var secretRef = regexp.MustCompile(`\$\{([^:{}$]+)\}`)

// labRedactor registers, before the lab's first byte is sent, every secret
// its sessions can send or a server can echo: the values of secret
// references in any client line (environment variables secret by name,
// names the front matter lists under secrets:), every configured server
// password, and the engine's secrets (the environment's secret-named
// variables).
func (r *labRun) labRedactor() *vars.Redactor {
	red := vars.NewRedactor(r.e.opts.Secrets)
	add := func(text string) {
		if !strings.Contains(text, "${") {
			return // no reference: nothing the pattern could find
		}
		for _, m := range secretRef.FindAllStringSubmatch(text, -1) {
			if r.scope.IsSecret(m[1]) {
				if v, ok := r.scope.Lookup(m[1]); ok {
					red.Add(v)
				}
			}
		}
	}
	for _, b := range r.lab.Blocks {
		for _, ln := range b.Lines {
			if ln.Kind == lab.Client || ln.Kind == lab.Pipelined {
				add(ln.Text)
			}
		}
	}
	entries := []lab.ServerEntry{}
	for _, s := range r.lab.Front.Servers {
		entries = append(entries, s)
	}
	for _, s := range r.e.opts.Servers {
		entries = append(entries, s)
	}
	for _, s := range r.servers {
		entries = append(entries, s)
	}
	for _, s := range r.servers { // a pool slot's own credentials
		entries = append(entries, s)
	}
	for _, s := range entries {
		if s.Password == "" {
			continue
		}
		if strings.Contains(s.Password, "${") {
			if v, _, err := r.scope.Expand(s.Password); err == nil {
				red.Add(v)
			}
			continue
		}
		red.Add(s.Password)
	}
	red.Add(r.scope.SecretValues()...)
	return red
}
