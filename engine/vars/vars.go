// Package vars expands ${NAME} references in a lab's client lines, keeping
// track of secrets so the transcript can show them masked.
//
// Syntax: ${NAME} is a variable (server configuration, lab vars, captures,
// then the environment); ${base64:TEXT} is the base64 of TEXT, in which
// \0 stands for a NUL byte and ${...} references expand (AUTH PLAIN is
// ${base64:\0${user}\0${password}}); $${ is a literal "${".
package vars

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
)

// Mask replaces a secret in displayed text.
const Mask = "********"

// Scope resolves variables.
type Scope struct {
	values  map[string]string
	secrets map[string]bool
	env     func(string) (string, bool)
	// marked are names the author declared secret (front matter
	// secrets:), whether a lab var or an environment variable.
	marked map[string]bool
	// handed are the secret values Expand has put into client lines,
	// shared with every Child, so none is missed by the redactor.
	handed map[string]bool
}

// NewScope returns a scope that falls back to env (os.LookupEnv) for names
// it does not hold. env may be nil.
func NewScope(env func(string) (string, bool)) *Scope {
	return &Scope{values: map[string]string{}, secrets: map[string]bool{}, env: env, marked: map[string]bool{}, handed: map[string]bool{}}
}

// MarkSecret declares a name secret: its value is masked wherever it is
// used, whether it comes from the lab's vars or the environment.
func (s *Scope) MarkSecret(name string) {
	s.marked[name] = true
	if _, ok := s.values[name]; ok {
		s.secrets[name] = true
	}
}

// IsSecret reports whether a reference to name would be masked.
func (s *Scope) IsSecret(name string) bool {
	if _, ok := s.values[name]; ok {
		return s.secrets[name] || s.marked[name]
	}
	return s.marked[name] || IsSecretName(name)
}

// Lookup returns a variable's value as Expand would see it.
func (s *Scope) Lookup(name string) (string, bool) {
	v, _, ok := s.lookup(name)
	return v, ok
}

// Set defines a variable; secret marks it for masking.
func (s *Scope) Set(name, value string, secret bool) {
	s.values[name] = value
	if secret || s.marked[name] {
		s.secrets[name] = true
	} else {
		delete(s.secrets, name)
	}
}

// Child returns a scope that sees s's variables and may add its own.
func (s *Scope) Child() *Scope {
	c := &Scope{values: make(map[string]string, len(s.values)+4), secrets: make(map[string]bool, len(s.secrets)+1), env: s.env, marked: s.marked, handed: s.handed}
	for k, v := range s.values {
		c.values[k] = v
	}
	for k := range s.secrets {
		c.secrets[k] = true
	}
	return c
}

// IsSecretName reports whether an environment variable name looks like it
// holds a secret: its value is masked wherever it is shown.
func IsSecretName(name string) bool {
	u := strings.ToUpper(name)
	for _, w := range []string{"PASS", "PWD", "SECRET", "TOKEN", "KEY", "CREDENTIAL"} {
		if strings.Contains(u, w) {
			return true
		}
	}
	return false
}

// SecretsInEnviron returns the values of the variables in environ
// ("NAME=value" entries, as os.Environ gives) that are secrets by name.
func SecretsInEnviron(environ []string) []string {
	var out []string
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && v != "" && IsSecretName(k) {
			out = append(out, v)
		}
	}
	return out
}

func (s *Scope) lookup(name string) (value string, secret bool, ok bool) {
	if v, ok := s.values[name]; ok {
		if s.secrets[name] {
			s.handed[v] = true
		}
		return v, s.secrets[name], true
	}
	if s.env != nil {
		if v, ok := s.env(name); ok {
			secret := IsSecretName(name) || s.marked[name]
			if secret {
				s.handed[v] = true
			}
			return v, secret, true
		}
	}
	return "", false, false
}

// SecretValues returns every secret value the scope holds or has handed
// out through Expand (environment secrets included), for the redactor.
func (s *Scope) SecretValues() []string {
	var out []string
	for k := range s.secrets {
		if v := s.values[k]; v != "" {
			out = append(out, v)
		}
	}
	for v := range s.handed {
		if v != "" {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// Expand returns the text to send and the text to show. A reference that
// involves a secret is shown as Mask.
func (s *Scope) Expand(in string) (text, display string, err error) {
	if !strings.Contains(in, "${") {
		return in, in, nil // no reference and no "$${": the line as it is
	}
	t, d, _, rest, err := s.expand(in, false)
	if err != nil {
		return "", "", err
	}
	if rest != "" {
		return "", "", fmt.Errorf("unexpected %q", rest)
	}
	return t, d, nil
}

// expand reads until the end of input, or until an unmatched "}" when
// nested; it returns the unread rest after that brace.
func (s *Scope) expand(in string, nested bool) (text, display string, secret bool, rest string, err error) {
	var t, d strings.Builder
	t.Grow(len(in))
	d.Grow(len(in))
	for len(in) > 0 {
		switch {
		case strings.HasPrefix(in, "$${"):
			t.WriteString("${")
			d.WriteString("${")
			in = in[3:]
		case strings.HasPrefix(in, "${"):
			vt, vd, vs, r, err := s.reference(in[2:])
			if err != nil {
				return "", "", false, "", err
			}
			t.WriteString(vt)
			d.WriteString(vd)
			secret = secret || vs
			in = r
		case nested && in[0] == '}':
			return t.String(), d.String(), secret, in[1:], nil
		case nested && strings.HasPrefix(in, `\0`):
			t.WriteByte(0)
			d.WriteString(`\0`)
			in = in[2:]
		case nested && strings.HasPrefix(in, `\\`):
			t.WriteByte('\\')
			d.WriteByte('\\')
			in = in[2:]
		default:
			// The run up to the next byte that may start one of the
			// cases above, at once.
			n := 1
			for n < len(in) && in[n] != '$' && !(nested && (in[n] == '}' || in[n] == '\\')) {
				n++
			}
			t.WriteString(in[:n])
			d.WriteString(in[:n])
			in = in[n:]
		}
	}
	if nested {
		return "", "", false, "", fmt.Errorf("missing \"}\"")
	}
	return t.String(), d.String(), secret, "", nil
}

// reference reads NAME} or FUNC:ARG} after "${".
func (s *Scope) reference(in string) (text, display string, secret bool, rest string, err error) {
	end := strings.IndexAny(in, ":}")
	if end < 0 {
		return "", "", false, "", fmt.Errorf("missing \"}\" after \"${%s\"", in)
	}
	name := in[:end]
	if in[end] == '}' {
		if name == "" {
			return "", "", false, "", fmt.Errorf("empty variable name \"${}\"")
		}
		v, sec, ok := s.lookup(name)
		if !ok {
			return "", "", false, "", fmt.Errorf("undefined variable ${%s}", name)
		}
		if sec {
			return v, Mask, true, in[end+1:], nil
		}
		return v, v, false, in[end+1:], nil
	}
	arg, argDisplay, sec, rest, err := s.expand(in[end+1:], true)
	if err != nil {
		return "", "", false, "", fmt.Errorf("in ${%s:...}: %w", name, err)
	}
	switch name {
	case "base64":
		v := base64.StdEncoding.EncodeToString([]byte(arg))
		if sec {
			return v, Mask, true, rest, nil
		}
		_ = argDisplay
		return v, v, false, rest, nil
	}
	return "", "", false, "", fmt.Errorf("unknown function ${%s:...} (known: base64)", name)
}
