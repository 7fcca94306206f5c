package vars

import (
	"encoding/base64"
	"strings"
	"testing"
)

func testScope() *Scope {
	env := map[string]string{"HOME_DIR": "/home/x", "ALICE_PASSWORD": "s3cret-pw"}
	s := NewScope(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	s.Set("user", "alice", false)
	return s
}

func TestExpand(t *testing.T) {
	plain := base64.StdEncoding.EncodeToString([]byte("\x00alice\x00s3cret-pw"))
	tests := []struct {
		in, text, display string
	}{
		{"EHLO client.example", "EHLO client.example", "EHLO client.example"},
		{"USER ${user}", "USER alice", "USER alice"},
		{"PASS ${ALICE_PASSWORD}", "PASS s3cret-pw", "PASS ********"},
		{"AUTH PLAIN ${base64:\\0${user}\\0${ALICE_PASSWORD}}", "AUTH PLAIN " + plain, "AUTH PLAIN ********"},
		{"${base64:alice}", "YWxpY2U=", "YWxpY2U="},
		{"literal $${user}", "literal ${user}", "literal ${user}"},
		{"dir ${HOME_DIR}", "dir /home/x", "dir /home/x"},
	}
	for _, tt := range tests {
		text, display, err := testScope().Expand(tt.in)
		if err != nil {
			t.Errorf("Expand(%q) error %v", tt.in, err)
			continue
		}
		if text != tt.text || display != tt.display {
			t.Errorf("Expand(%q) = %q, %q; want %q, %q", tt.in, text, display, tt.text, tt.display)
		}
	}
}

func TestExpandErrors(t *testing.T) {
	for _, in := range []string{"${nope}", "${user", "${base64:x", "${rot13:x}", "${}"} {
		if _, _, err := testScope().Expand(in); err == nil {
			t.Errorf("Expand(%q) succeeded; want an error", in)
		}
	}
}

func TestRedactorFindsBase64AtEveryAlignment(t *testing.T) {
	secret := "s3cret-pw"
	r := NewRedactor([]string{secret})
	for _, prefix := range []string{"", "a", "ab", "\x00alice\x00", "\x00bob\x00"} {
		enc := base64.StdEncoding.EncodeToString([]byte(prefix + secret + "tail"))
		got := r.Redact("AUTH PLAIN " + enc)
		if strings.Contains(got, enc) {
			t.Errorf("Redact left base64 of %q unmasked: %q", prefix+secret, got)
		}
	}
	if got := r.Redact("password is s3cret-pw"); strings.Contains(got, secret) {
		t.Errorf("Redact left the clear secret: %q", got)
	}
	if got := r.Redact("250 OK"); got != "250 OK" {
		t.Errorf("Redact changed innocent text: %q", got)
	}
}

// FuzzExpand: any client line either fails to expand or expands without
// showing the secret, in clear or in base64.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"PASS ${ALICE_PASSWORD}", "AUTH PLAIN ${base64:\\0${user}\\0${ALICE_PASSWORD}}", "$${x}", "${base64:${base64:${ALICE_PASSWORD}}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		_, display, err := testScope().Expand(in)
		if err != nil {
			return
		}
		if strings.Contains(in, "s3cret-pw") {
			return // the author typed it in clear; nothing to hide
		}
		if strings.Contains(display, "s3cret-pw") || strings.Contains(display, "czNjcmV0LXB3") {
			t.Fatalf("Expand(%q) shows the secret: %q", in, display)
		}
	})
}

func TestRedactorMasksEveryEncodingAndEveryOffset(t *testing.T) {
	for _, secret := range []string{"abc", "pw1!", "s3cret-pw", "p&<>=+/@ %~x"} {
		r := NewRedactor([]string{secret})
		for _, prefix := range []string{"", "a", "ab", "abc", "\x00bob\x00", "bob:", "x\x00y\x00"} {
			for _, suffix := range []string{"", "z", "zz", "zzz"} {
				for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding} {
					e := enc.EncodeToString([]byte(prefix + secret + suffix))
					for _, around := range []string{"%s", "AUTH PLAIN %s", "Authorization: Basic %s\r", "334 %s=="} {
						got := r.Redact(strings.Replace(around, "%s", e, 1))
						if strings.Contains(got, e) || !strings.Contains(got, Mask) {
							t.Errorf("secret %q: base64 of %q left: %q", secret, prefix+secret+suffix, got)
						}
					}
				}
			}
		}
		for _, form := range encodedForms(secret) {
			if got := r.Redact("you said: " + form + "."); strings.Contains(got, form) {
				t.Errorf("secret %q: form %q left: %q", secret, form, got)
			}
		}
	}
	r := NewRedactor([]string{"s3cret-pw"})
	for _, innocent := range []string{"250 OK", "AUTH PLAIN AGFsaWNlAGFsaWNlLXB3", "a1 LOGIN alice alice-pw"} {
		if got := r.Redact(innocent); got != innocent {
			t.Errorf("Redact changed innocent text %q to %q", innocent, got)
		}
	}
}

func TestEnvironmentSecretsAreRegistered(t *testing.T) {
	s := testScope().Child()
	if _, _, err := s.Expand("PASS ${ALICE_PASSWORD}"); err != nil {
		t.Fatal(err)
	}
	if got := s.SecretValues(); len(got) != 1 || got[0] != "s3cret-pw" {
		t.Errorf("SecretValues = %q, want the environment secret", got)
	}
	m := NewScope(func(k string) (string, bool) { return "campus-" + k, true })
	m.MarkSecret("LOGIN")
	if _, display, _ := m.Expand("a LOGIN bob ${LOGIN}"); display != "a LOGIN bob "+Mask {
		t.Errorf("an author-marked secret is shown: %q", display)
	}
}

// FuzzRedact: whatever the text around it, a secret (3 bytes or more, no
// '*') never survives redaction in clear, and its base64 inside any text,
// at any offset, never survives whole.
func FuzzRedact(f *testing.F) {
	f.Add("s3cret-pw", "\x00bob\x00", "", "AUTH PLAIN ")
	f.Add("abc", "bob:", "z", "Authorization: Basic ")
	f.Add("p&<>=+/@ %~x", "x", "yz", "you said: ")
	f.Fuzz(func(t *testing.T, secret, prefix, suffix, around string) {
		if len(secret) < minSecret || strings.Contains(secret, "*") || len(prefix) > 16 || len(suffix) > 16 {
			return
		}
		r := NewRedactor([]string{secret})
		if got := r.Redact(around + secret + suffix); strings.Contains(got, secret) {
			t.Fatalf("clear secret left in %q", got)
		}
		enc := base64.StdEncoding.EncodeToString([]byte(prefix + secret + suffix))
		if got := r.Redact(around + enc); strings.Contains(got, enc) {
			t.Fatalf("base64 %q left in %q", enc, got)
		}
	})
}
