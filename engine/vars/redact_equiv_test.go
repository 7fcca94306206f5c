package vars

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
)

// referenceEncodesSecret is the token test as first written (a Replacer and
// a decoded copy per offset), kept to pin the faster one to it.
func referenceEncodesSecret(secrets [][]byte, tok string) bool {
	if len(tok) < 4 || len(secrets) == 0 {
		return false
	}
	std := strings.NewReplacer("-", "+", "_", "/", "=", "").Replace(tok)
	for off := 0; off < 4 && off < len(std); off++ {
		u := std[off:]
		if len(u)%4 == 1 {
			u = u[:len(u)-1]
		}
		dec, err := base64.RawStdEncoding.DecodeString(u)
		if err != nil {
			continue
		}
		for _, sec := range secrets {
			if len(dec) >= len(sec) && bytes.Contains(dec, sec) {
				return true
			}
		}
	}
	return false
}

func TestEncodesSecretAgreesWithReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_"
	for _, secrets := range [][]string{{"abc"}, {"alice-pw"}, {"s3cret-pw", "pw1!"}, {"p&<>=+/@ %~x", "abcd"}} {
		r := NewRedactor(secrets)
		var toks []string
		for _, sec := range secrets {
			for _, pre := range []string{"", "a", "ab", "\x00bob\x00", "x:"} {
				for _, suf := range []string{"", "z", "zz", "zzz"} {
					for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
						e := enc.EncodeToString([]byte(pre + sec + suf))
						toks = append(toks, e, e[1:], e[:len(e)-1], "A"+e, "AB"+e+"=", strings.Repeat(e, 40))
					}
				}
			}
		}
		for range 20000 {
			n := rng.IntN(24)
			if rng.IntN(50) == 0 {
				n = 300 + rng.IntN(400) // past the stack buffers
			}
			b := make([]byte, n)
			for i := range b {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
			toks = append(toks, string(b))
		}
		for _, tok := range toks {
			if got, want := r.encodesSecret(tok), referenceEncodesSecret(r.secrets, tok); got != want {
				t.Fatalf("secrets %q, token %q: encodesSecret %v, reference %v", secrets, tok, got, want)
			}
		}
	}
}

func TestAddKnownSecretChangesNothing(t *testing.T) {
	r := NewRedactor([]string{"alice-pw", "s3cret-pw"})
	needles := append([]string(nil), r.needles...)
	r.Add("alice-pw", "ab", "s3cret-pw")
	if strings.Join(needles, "\n") != strings.Join(r.needles, "\n") || len(r.secrets) != 2 {
		t.Errorf("adding known secrets changed the redactor: %q", r.needles)
	}
	r.Add("new-secret")
	if len(r.secrets) != 3 || r.Redact("x new-secret y") != "x "+Mask+" y" {
		t.Errorf("a new secret was not registered: %q", r.Redact("x new-secret y"))
	}
}
