package smtpd

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
)

// Prompts of AUTH LOGIN, base64 of "Username:" and "Password:".
const (
	loginUsernamePrompt = "VXNlcm5hbWU6"
	loginPasswordPrompt = "UGFzc3dvcmQ6"
)

// errAuthEnded means the AUTH exchange is over without a result: the client
// cancelled it or sent something undecodable, and has had its reply.
var errAuthEnded = errors.New("smtpd: authentication exchange ended")

func (s *session) cmdAuth(arg string) {
	switch {
	case !s.esmtp:
		s.reply(503, "5.5.1 Error: send EHLO first")
		return
	case !s.authAllowed():
		if s.tlsOffered() {
			s.reply(530, "5.7.0 Must issue a STARTTLS command first")
		} else {
			s.reply(503, "5.5.1 Error: authentication not enabled")
		}
		return
	case s.user != "":
		s.reply(503, "5.5.1 Error: already authenticated")
		return
	case s.inMail:
		s.reply(503, "5.5.1 Error: MAIL transaction in progress")
		return
	}
	mech, initial, hasInitial := strings.Cut(arg, " ")
	initial = strings.TrimSpace(initial)
	var user, password string
	var err error
	switch strings.ToUpper(mech) {
	case "PLAIN":
		user, password, err = s.authPlain(initial, hasInitial)
	case "LOGIN":
		user, password, err = s.authLogin(initial, hasInitial)
	case "":
		s.reply(501, "5.5.4 Syntax: AUTH mechanism [initial-response]")
		return
	default:
		s.reply(504, "5.5.4 Unrecognized authentication type")
		return
	}
	if err != nil {
		return
	}
	name, ok := s.cfg.Store.Authenticate(user, password)
	if !ok {
		s.reply(535, "5.7.8 Authentication credentials invalid")
		return
	}
	s.user = name
	s.reply(235, "2.7.0 Authentication successful")
}

// authPlain runs AUTH PLAIN (RFC 4616): one response "authzid NUL authcid
// NUL password", inline or after an empty 334 challenge.
func (s *session) authPlain(initial string, hasInitial bool) (user, password string, err error) {
	if !hasInitial {
		if initial, err = s.challenge(""); err != nil {
			return "", "", err
		}
	}
	dec, err := s.decode(initial)
	if err != nil {
		return "", "", err
	}
	parts := bytes.Split(dec, []byte{0})
	if len(parts) != 3 {
		s.reply(501, "5.5.2 Error: malformed PLAIN response: want authzid NUL user NUL password")
		return "", "", errAuthEnded
	}
	authz, user, password := string(parts[0]), string(parts[1]), string(parts[2])
	// Acting for another user is not supported: an authorization identity
	// must name the same account.
	if authz != "" && !s.sameAccount(authz, user) {
		s.reply(535, "5.7.8 Authentication credentials invalid")
		return "", "", errAuthEnded
	}
	return user, password, nil
}

// authLogin runs AUTH LOGIN: the user name (possibly inline) and the
// password, each answering a base64 prompt.
func (s *session) authLogin(initial string, hasInitial bool) (user, password string, err error) {
	if !hasInitial {
		if initial, err = s.challenge(loginUsernamePrompt); err != nil {
			return "", "", err
		}
	}
	u, err := s.decode(initial)
	if err != nil {
		return "", "", err
	}
	resp, err := s.challenge(loginPasswordPrompt)
	if err != nil {
		return "", "", err
	}
	p, err := s.decode(resp)
	if err != nil {
		return "", "", err
	}
	return string(u), string(p), nil
}

// challenge sends a 334 prompt and reads the client's answer; "*" cancels
// the exchange (RFC 4954 section 4).
func (s *session) challenge(prompt string) (string, error) {
	s.reply(334, prompt)
	line, err := s.readLine()
	if errors.Is(err, errLineTooLong) {
		s.reply(500, "5.5.6 Authentication exchange line is too long")
		return "", errAuthEnded
	}
	if err != nil {
		s.readFailed(err)
		return "", err
	}
	if line == "*" {
		s.reply(501, "5.7.0 Authentication aborted")
		return "", errAuthEnded
	}
	return line, nil
}

// decode reads a base64 response; "=" is an empty one.
func (s *session) decode(resp string) ([]byte, error) {
	if resp == "=" {
		return nil, nil
	}
	dec, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		s.reply(501, "5.5.2 Error: cannot decode base64 response")
		return nil, errAuthEnded
	}
	return dec, nil
}

// sameAccount reports whether two login names ("alice" and
// "alice@example.com") name one account.
func (s *session) sameAccount(a, b string) bool {
	norm := func(n string) string {
		n = strings.ToLower(n)
		if local, domain, ok := strings.Cut(n, "@"); ok && domain == strings.ToLower(s.cfg.Store.Domain()) {
			return local
		}
		return n
	}
	return norm(a) == norm(b)
}
