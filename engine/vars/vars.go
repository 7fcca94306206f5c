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
	"strings"
)

// Mask replaces a secret in displayed text.
const Mask = "********"

// Scope resolves variables.
type Scope struct {
	values  map[string]string
	secrets map[string]bool
	env     func(string) (string, bool)
}

// NewScope returns a scope that falls back to env (os.LookupEnv) for names
// it does not hold. env may be nil.
func NewScope(env func(string) (string, bool)) *Scope {
	return &Scope{values: map[string]string{}, secrets: map[string]bool{}, env: env}
}

// Set defines a variable; secret marks it for masking.
func (s *Scope) Set(name, value string, secret bool) {
	s.values[name] = value
	if secret {
		s.secrets[name] = true
	} else {
		delete(s.secrets, name)
	}
}

// Child returns a scope that sees s's variables and may add its own.
func (s *Scope) Child() *Scope {
	c := NewScope(s.env)
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

func (s *Scope) lookup(name string) (value string, secret bool, ok bool) {
	if v, ok := s.values[name]; ok {
		return v, s.secrets[name], true
	}
	if s.env != nil {
		if v, ok := s.env(name); ok {
			return v, IsSecretName(name), true
		}
	}
	return "", false, false
}

// Secrets returns every secret value the scope has handed out through
// Expand, for a last scan of all output.
func (s *Scope) SecretValues() []string {
	var out []string
	for k := range s.secrets {
		if v := s.values[k]; v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Expand returns the text to send and the text to show. A reference that
// involves a secret is shown as Mask.
func (s *Scope) Expand(in string) (text, display string, err error) {
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
			t.WriteByte(in[0])
			d.WriteByte(in[0])
			in = in[1:]
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

// Redactor removes secrets from text that is about to be shown or stored,
// in clear and in the base64 forms in which an AUTH exchange carries them.
type Redactor struct {
	needles []string
}

// NewRedactor returns a redactor for secrets (empty ones are ignored).
func NewRedactor(secrets []string) *Redactor {
	r := &Redactor{}
	for _, sec := range secrets {
		if len(sec) < 3 {
			continue // too short to mask without eating ordinary text
		}
		r.needles = append(r.needles, sec)
		r.needles = append(r.needles, base64Cores(sec)...)
	}
	return r
}

// base64Cores returns, for each of the three alignments a secret can have
// inside a longer base64 string, the part of its encoding that does not
// depend on the neighbouring bytes.
func base64Cores(secret string) []string {
	var out []string
	for shift := 0; shift < 3; shift++ {
		pad := strings.Repeat("\x00", shift)
		enc := base64.StdEncoding.EncodeToString([]byte(pad + secret))
		// Characters touching the padding or the next byte are unstable.
		startChar := (shift*8 + 5) / 6
		if shift == 0 {
			startChar = 0
		}
		endBits := (shift + len(secret)) * 8
		endChar := endBits / 6
		enc = strings.TrimRight(enc, "=")
		if endChar > len(enc) {
			endChar = len(enc)
		}
		if endChar-startChar >= 4 {
			out = append(out, enc[startChar:endChar])
		}
	}
	return out
}

// Redact masks every secret in s.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	for _, n := range r.needles {
		if strings.Contains(s, n) {
			s = strings.ReplaceAll(s, n, Mask)
		}
	}
	return s
}
