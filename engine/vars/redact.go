package vars

import (
	"bytes"
	"encoding/base64"
	"html"
	"mime/quotedprintable"
	"net/url"
	"sort"
	"strings"
)

// Redactor removes secrets from text that is about to be shown or stored:
// in clear, URL-encoded, quoted-printable and HTML-escaped, and inside any
// base64 string that encodes them, at any offset (AUTH PLAIN
// "\0user\0secret", AUTH LOGIN, HTTP Basic "user:secret"). One Redactor
// holds every secret of a lab run, registered before the first byte is
// sent; every output is made from text that went through it.
type Redactor struct {
	secrets [][]byte // raw secrets, for the base64 token scan
	needles []string // literal forms, longest first
	// shortest is the length of the shortest secret: a base64 run too
	// short to decode to that many bytes cannot carry any of them.
	shortest int
	// cores[i] are the standard-alphabet base64Cores of secrets[i], one
	// per alignment; nil when an alignment has none (a secret too short).
	// Bytes decoded from a run hold the secret only if the run holds the
	// core of the secret's alignment: a run with none needs no decoding.
	cores []*[3][]byte
}

// minSecret is the shortest secret masked: shorter ones would eat
// ordinary text.
const minSecret = 3

// NewRedactor returns a redactor for secrets (empty and very short ones
// are ignored).
func NewRedactor(secrets []string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers more secrets.
func (r *Redactor) Add(secrets ...string) {
	if r.knows(secrets) {
		return // every session adds the lab's secrets again: nothing new
	}
	seen := map[string]bool{}
	for _, n := range r.needles {
		seen[n] = true
	}
	for _, sec := range secrets {
		if len(sec) < minSecret || seen["\x00"+sec] {
			continue
		}
		seen["\x00"+sec] = true
		r.secrets = append(r.secrets, []byte(sec))
		r.cores = append(r.cores, alignedCores(sec))
		if r.shortest == 0 || len(sec) < r.shortest {
			r.shortest = len(sec)
		}
		for _, n := range append(encodedForms(sec), base64Cores(sec)...) {
			if !seen[n] {
				seen[n] = true
				r.needles = append(r.needles, n)
			}
		}
	}
	// Longest first, so a form containing another is masked whole.
	sort.SliceStable(r.needles, func(i, j int) bool { return len(r.needles[i]) > len(r.needles[j]) })
}

// knows reports whether Add would register nothing from secrets: each is
// too short or registered already.
func (r *Redactor) knows(secrets []string) bool {
	for _, sec := range secrets {
		if len(sec) < minSecret {
			continue
		}
		known := false
		for _, have := range r.secrets {
			if string(have) == sec {
				known = true
				break
			}
		}
		if !known {
			return false
		}
	}
	return true
}

// encodedForms are the secret as it is and as text encodings carry it.
func encodedForms(sec string) []string {
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	_, _ = w.Write([]byte(sec))
	_ = w.Close()
	forms := []string{sec, url.QueryEscape(sec), url.PathEscape(sec), html.EscapeString(sec), qp.String(),
		xmlQuotes.Replace(html.EscapeString(sec))}
	return forms
}

// alignedCores is base64Cores in the standard alphabet, by alignment; nil
// when some alignment has no core.
func alignedCores(secret string) *[3][]byte {
	var out [3][]byte
	for shift := 0; shift < 3; shift++ {
		pad := strings.Repeat("\x00", shift)
		enc := strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(pad+secret)), "=")
		startChar := (shift*8 + 5) / 6
		endChar := min((shift+len(secret))*8/6, len(enc))
		if endChar-startChar < 1 {
			return nil
		}
		out[shift] = []byte(enc[startChar:endChar])
	}
	return &out
}

// base64Cores returns, for each of the three alignments a secret can have
// inside a longer base64 string, the part of its encoding that does not
// depend on the neighbouring bytes, in the standard and URL alphabets. The
// token scan in Redact finds the rest; the cores also catch a base64 run
// broken by something the scan does not see as base64.
func base64Cores(secret string) []string {
	var out []string
	for shift := 0; shift < 3; shift++ {
		pad := strings.Repeat("\x00", shift)
		enc := base64.StdEncoding.EncodeToString([]byte(pad + secret))
		// Characters touching the padding or the next byte are unstable.
		startChar := (shift*8 + 5) / 6
		endChar := (shift + len(secret)) * 8 / 6
		enc = strings.TrimRight(enc, "=")
		if endChar > len(enc) {
			endChar = len(enc)
		}
		if endChar-startChar >= 4 {
			core := enc[startChar:endChar]
			out = append(out, core)
			if u := stdToURL.Replace(core); u != core {
				out = append(out, u)
			}
		}
	}
	return out
}

// Redact masks every secret in s.
func (r *Redactor) Redact(s string) string {
	if r == nil || len(r.secrets) == 0 {
		return s
	}
	s = r.maskBase64Tokens(s)
	for _, n := range r.needles {
		if strings.Contains(s, n) {
			s = strings.ReplaceAll(s, n, Mask)
		}
	}
	return s
}

func isBase64Char(c byte) bool { return base64Chars[c] }

// base64Chars marks the characters of either base64 alphabet, and '='.
var base64Chars = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_'
	}
	return t
}()

// maskBase64Tokens replaces every run of base64 characters that decodes,
// from any of its four character offsets and in either alphabet, to bytes
// containing a secret. The whole run goes, so the characters at the edges,
// which carry bits of the secret mixed with its neighbours, go too.
func (r *Redactor) maskBase64Tokens(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isBase64Char(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isBase64Char(s[j]) {
			j++
		}
		if r.encodesSecret(s[i:j]) {
			b.WriteString(s[last:i])
			b.WriteString(Mask)
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// mayHold reports whether a run (standard alphabet, unpadded) holds the
// core of some secret it is long enough to carry, at some alignment:
// without one, no decoding of the run holds that secret.
func (r *Redactor) mayHold(std []byte) bool {
	for i, cores := range r.cores {
		if cores == nil {
			return true // no core to look for: decode
		}
		if len(std)*3/4 < len(r.secrets[i]) {
			continue
		}
		for _, core := range cores {
			if bytes.Contains(std, core) {
				return true
			}
		}
	}
	return false
}

// Replacers are costly to build and safe to share: built once.
var (
	stdToURL  = strings.NewReplacer("+", "-", "/", "_")
	xmlQuotes = strings.NewReplacer(`"`, "&quot;", "'", "&apos;")
)

func (r *Redactor) encodesSecret(tok string) bool {
	if len(tok) < 4 || len(r.secrets) == 0 {
		return false
	}
	// The decoded bytes are at most 3/4 of the characters: a run too
	// short for the shortest secret needs no decoding (most words).
	if len(tok)*3/4 < r.shortest {
		return false
	}
	// The run in the standard alphabet, unpadded ('-' '+', '_' '/', no
	// '='), decoded from each of its first four characters; on the stack
	// for a run of ordinary length.
	var stdBuf, decBuf [256]byte
	std := stdBuf[:0]
	if len(tok) > len(stdBuf) {
		std = make([]byte, 0, len(tok))
	}
	for i := 0; i < len(tok); i++ {
		switch c := tok[i]; c {
		case '-':
			std = append(std, '+')
		case '_':
			std = append(std, '/')
		case '=':
		default:
			std = append(std, c)
		}
	}
	if !r.mayHold(std) {
		return false
	}
	dec := decBuf[:]
	if n := base64.RawStdEncoding.DecodedLen(len(std)); n > len(dec) {
		dec = make([]byte, n)
	}
	for off := 0; off < 4 && off < len(std); off++ {
		u := std[off:]
		if len(u)%4 == 1 {
			u = u[:len(u)-1]
		}
		n, err := base64.RawStdEncoding.Decode(dec, u)
		if err != nil {
			continue
		}
		for _, sec := range r.secrets {
			if n >= len(sec) && bytes.Contains(dec[:n], sec) {
				return true
			}
		}
	}
	return false
}
