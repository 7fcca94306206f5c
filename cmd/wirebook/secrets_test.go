package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/big"
	"mime/quotedprintable"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/internal/hostileserver"
)

// randomPassword has the characters every encoding treats differently
// (HTML, URL, quoted-printable, base64 padding) but none that IMAP's
// quoted string or the lab syntax would need escaped.
func randomPassword(t *testing.T) string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789=&<>+/@!?#%~"
	var b strings.Builder
	for b.Len() < 14 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteByte(alphabet[n.Int64()])
	}
	return b.String()
}

// secretForms is every form in which pw must not appear: in clear, each
// text encoding, JSON-escaped, and base64 at every alignment (the part of
// the encoding that depends on pw alone, plus the whole encodings the
// logins send).
func secretForms(pw string) []string {
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	w.Write([]byte(pw))
	w.Close()
	js, _ := json.Marshal(pw)
	forms := []string{pw, html.EscapeString(pw), url.QueryEscape(pw), url.PathEscape(pw), qp.String(), strings.Trim(string(js), `"`)}
	b64 := base64.StdEncoding.EncodeToString
	for shift := 0; shift < 3; shift++ {
		enc := b64([]byte(strings.Repeat("\x00", shift) + pw))
		start, end := (8*shift+5)/6, 8*(shift+len(pw))/6
		forms = append(forms, enc[start:end])
	}
	for _, whole := range []string{"\x00bob\x00" + pw, "bob:" + pw, "bob\x00bob\x00" + pw} {
		forms = append(forms, b64([]byte(whole)))
	}
	return forms
}

// scanArtifacts fails the test for every text holding a form of a secret;
// an HTML page is also scanned as the text a reader sees.
func scanArtifacts(t *testing.T, texts map[string]string, secrets []string) {
	t.Helper()
	for where, text := range texts {
		views := []string{text}
		if strings.HasSuffix(where, ".html") {
			views = append(views, textOf(text))
		}
		for _, v := range views {
			for _, pw := range secrets {
				for _, f := range secretForms(pw) {
					if strings.Contains(v, f) {
						t.Errorf("%s holds a secret as %q", where, f)
					}
				}
			}
		}
	}
}

// filesUnder reads every file under dir (the course, the site, the cache,
// reports), except the lab CA's private cache.
func filesUnder(t *testing.T, dir string, into map[string]string) {
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, "xdg-cache") {
			data, _ := os.ReadFile(p)
			into[p] = string(data)
		}
		return nil
	})
}

func TestNoSecretLeavesInAnyFormAgainstEchoingServers(t *testing.T) {
	pw := map[string]string{}
	for _, k := range []string{"SMTP_PASSWORD", "POP_PASSWORD", "IMAP_PASSWORD", "WEB_PASSWORD", "ECHO_PASSWORD", "CAMPUS_LOGIN"} {
		pw[k] = randomPassword(t)
	}
	srv := map[string]*hostileserver.Server{}
	for _, p := range []string{"smtp", "pop3", "imap", "http"} {
		srv[p] = hostileserver.Start(t, p, hostileserver.Echo, hostileserver.Options{})
	}
	front := "---\ntitle: Logins\nsecrets: [CAMPUS_LOGIN]\nservers:\n"
	for name, p := range map[string]string{"mail": "smtp", "pop": "pop3", "imap": "imap", "web": "http"} {
		front += fmt.Sprintf("  %s:\n    host: 127.0.0.1\n    ports: {%s: %d}\n", name, p, srv[p].Port())
	}
	lab := front + "---\n\n# Logins\n\n" +
		"```smtp server=mail\nC: EHLO client.example\nC: AUTH PLAIN ${base64:\\0bob\\0${SMTP_PASSWORD}}\nC: AUTH LOGIN\nC: ${base64:bob}\nC: ${base64:${SMTP_PASSWORD}}\nC: QUIT\n```\n\n" +
		"```pop3 server=pop\nC: CAPA\nC: USER bob\nC: PASS ${POP_PASSWORD}\nC: AUTH PLAIN\nC: ${base64:bob\\0bob\\0${POP_PASSWORD}}\nC: QUIT\n```\n\n" +
		"```imap server=imap\nC: a1 LOGIN bob \"${IMAP_PASSWORD}\"\nC: a2 AUTHENTICATE PLAIN\nC: ${base64:\\0bob\\0${CAMPUS_LOGIN}}\nC: a3 LOGOUT\n```\n\n" +
		"```http server=web\nC: GET / HTTP/1.1\nC: Host: www.example.com\nC: Authorization: Basic ${base64:bob:${WEB_PASSWORD}}\nC:\n```\n\n" +
		"```http\nC: GET /_lab/echo HTTP/1.1\nC: Host: www.example.com\nC: Authorization: Basic ${base64:bob:${ECHO_PASSWORD}}\nC: Connection: close\nC:\n```\n"
	dir := inTempCourse(t, map[string]string{"logins.md": lab})
	texts := map[string]string{}
	for _, args := range [][]string{
		{"run", "labs/logins.md"},
		{"run", "--compare", "labs/logins.md"},
		{"build", "--out", "out", "labs"},
		{"update", "labs"},
		{"check", "labs"},
		{"check", "--json", "labs"},
		{"check", "--junit", "report.xml", "labs"},
		{"build", "--out", "out2", "labs"}, // from the cache
	} {
		status, stdout, stderr := runCLI(t, pw, "", args...)
		texts[strings.Join(args, " ")] = stdout + stderr
		if args[0] == "run" && len(args) == 2 && (status != exitOK || !strings.Contains(stdout, "you said")) {
			t.Fatalf("the logins did not run against the echoing servers (exit %d):\n%s\n%s", status, stdout, stderr)
		}
	}
	if lab, _ := os.ReadFile(filepath.Join(dir, "labs", "logins.md")); !strings.Contains(string(lab), "S: 235") {
		t.Errorf("update wrote no transcript into the lab:\n%s", lab)
	}
	// serve's responses.
	e := &cliEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, lookupEnv: func(k string) (string, bool) { v, ok := pw[k]; return v, ok }}
	p := &preview{env: e, paths: []string{"labs"}, out: filepath.Join(dir, "serve")}
	eng, err := (&commonFlags{jobs: 1}).engine(e, newEmbeddedProvider(), engineOptionsForServe())
	if err != nil {
		t.Fatal(err)
	}
	p.eng = eng
	p.rebuild()
	base := httptestServer(t, p.handler())
	for _, page := range []string{"/logins.html", "/index.html"} {
		resp, err := http.Get(base + page)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		texts["serve "+page+" .html"] = string(b)
	}
	filesUnder(t, dir, texts)
	var secrets []string
	for _, v := range pw {
		secrets = append(secrets, v)
	}
	scanArtifacts(t, texts, secrets)
}
