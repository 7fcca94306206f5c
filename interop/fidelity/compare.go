package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// difference is one way the embedded server's reply differs from the real
// one. Visible ones change what a student sees happen: another reply class,
// a refused command, data missing, a dropped connection. The rest are
// details: other codes within a class, capabilities, header values.
type difference struct {
	visible bool
	what    string
}

func vis(format string, a ...any) difference   { return difference{true, fmt.Sprintf(format, a...)} }
func minor(format string, a ...any) difference { return difference{false, fmt.Sprintf(format, a...)} }

// compare lists the differences between the embedded (e) and real (r)
// outcomes of step st of a session in protocol proto.
func compare(proto string, st step, e, r outcome) []difference {
	switch {
	case e.skipped && r.skipped:
		return nil
	case e.skipped != r.skipped:
		return []difference{vis("only the %s server's connection had already ended", ifElse(e.skipped, "embedded", "real"))}
	case e.err != "" || r.err != "":
		if e.err != "" && r.err != "" {
			return nil
		}
		return []difference{vis("failed against the %s server: %s", ifElse(e.err != "", "embedded", "real"), e.err+r.err)}
	}
	var out []difference
	if e.closed != r.closed {
		out = append(out, vis("the %s server closed the connection", ifElse(e.closed, "embedded", "real")))
		return out
	}
	switch proto {
	case "smtp":
		out = append(out, compareSMTP(st, e, r)...)
	case "pop3":
		out = append(out, comparePOP3(st, e, r)...)
	case "imap":
		out = append(out, compareIMAP(st, e, r)...)
	case "http":
		out = append(out, compareHTTP(e, r)...)
	}
	return out
}

func ifElse(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// setDiff returns what only a has and what only b has.
func setDiff(a, b []string) (onlyA, onlyB []string) {
	for _, x := range a {
		if !slices.Contains(b, x) {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			onlyB = append(onlyB, x)
		}
	}
	return onlyA, onlyB
}

func describeSets(kind string, a, b []string) []difference {
	onlyE, onlyR := setDiff(a, b)
	if len(onlyE) == 0 && len(onlyR) == 0 {
		return nil
	}
	return []difference{minor("%s: only embedded %v, only real %v", kind, onlyE, onlyR)}
}

// ---------------------------------------------------------------- SMTP

func smtpCode(line string) string {
	if len(line) < 3 {
		return line
	}
	return line[:3]
}

// smtpEnhanced is the RFC 3463 status ("5.5.1") after the code, if any.
func smtpEnhanced(line string) string {
	if len(line) < 5 {
		return ""
	}
	f := strings.Fields(line[4:])
	if len(f) > 0 && strings.Count(f[0], ".") == 2 && f[0][0] >= '2' && f[0][0] <= '5' {
		return f[0]
	}
	return ""
}

func ehloKeywords(lines []string) []string {
	var kw []string
	for _, l := range lines[1:] {
		if len(l) > 4 {
			kw = append(kw, strings.ToUpper(l[4:]))
		}
	}
	return kw
}

func compareSMTP(st step, e, r outcome) []difference {
	ec, rc := smtpCode(e.final()), smtpCode(r.final())
	var out []difference
	switch {
	case ec == "" || rc == "":
		if ec != rc {
			out = append(out, vis("no reply from the %s server", ifElse(ec == "", "embedded", "real")))
		}
		return out
	case ec[0] != rc[0]:
		out = append(out, vis("reply class %cxx, real %cxx", ec[0], rc[0]))
	case ec != rc:
		out = append(out, minor("reply code %s, real %s", ec, rc))
	}
	if ee, re := smtpEnhanced(e.final()), smtpEnhanced(r.final()); ee != re && ec == rc {
		out = append(out, minor("enhanced status %q, real %q", ee, re))
	}
	if strings.HasPrefix(strings.ToUpper(st.send), "EHLO ") && ec == "250" && rc == "250" {
		out = append(out, describeSets("EHLO keywords", ehloKeywords(e.lines), ehloKeywords(r.lines))...)
	} else if (len(e.lines) > 1) != (len(r.lines) > 1) {
		out = append(out, minor("%d reply lines, real %d", len(e.lines), len(r.lines)))
	}
	return out
}

// ---------------------------------------------------------------- POP3

func pop3Status(line string) string {
	if strings.HasPrefix(line, "+OK") {
		return "+OK"
	}
	if strings.HasPrefix(line, "-ERR") {
		return "-ERR"
	}
	return strings.SplitN(line, " ", 2)[0]
}

// pop3RespCode is the RFC 2449 response code ("[AUTH]") after the status.
func pop3RespCode(line string) string {
	f := strings.Fields(line)
	if len(f) > 1 && strings.HasPrefix(f[1], "[") {
		return f[1]
	}
	return ""
}

func firstWords(lines []string) []string {
	var w []string
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 0 {
			w = append(w, strings.ToUpper(f[0]))
		}
	}
	return w
}

func comparePOP3(st step, e, r outcome) []difference {
	if len(e.lines) == 0 || len(r.lines) == 0 {
		if len(e.lines) != len(r.lines) {
			return []difference{vis("no reply from the %s server", ifElse(len(e.lines) == 0, "embedded", "real"))}
		}
		return nil
	}
	es, rs := pop3Status(e.lines[0]), pop3Status(r.lines[0])
	if es != rs {
		return []difference{vis("status %s, real %s", es, rs)}
	}
	var out []difference
	if ec, rc := pop3RespCode(e.lines[0]), pop3RespCode(r.lines[0]); ec != rc {
		out = append(out, minor("response code %q, real %q", ec, rc))
	}
	verb := strings.ToUpper(strings.SplitN(st.send, " ", 2)[0])
	args := strings.Fields(st.send)
	switch {
	case verb == "CAPA":
		out = append(out, describeSets("CAPA", firstWords(e.lines[1:]), firstWords(r.lines[1:]))...)
	case verb == "STAT" && es == "+OK":
		if ef, rf := strings.Fields(e.lines[0]), strings.Fields(r.lines[0]); len(ef) > 1 && len(rf) > 1 && ef[1] != rf[1] {
			out = append(out, vis("STAT counts %s messages, real %s", ef[1], rf[1]))
		}
	case (verb == "LIST" || verb == "UIDL") && len(args) == 1 && es == "+OK":
		if len(e.lines) != len(r.lines) {
			out = append(out, vis("%s lists %d messages, real %d", verb, len(e.lines)-1, len(r.lines)-1))
		}
	case st.multi && es == "+OK" && verb != "RETR" && verb != "TOP":
		if len(e.lines) != len(r.lines) {
			out = append(out, minor("%d body lines, real %d", len(e.lines)-1, len(r.lines)-1))
		}
	}
	return out
}

// ---------------------------------------------------------------- IMAP

// imapStatus is "OK", "NO", "BAD", "PREAUTH", "BYE" or "+" for the final line.
func imapStatus(line string) string {
	if strings.HasPrefix(line, "+") {
		return "+"
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return line
	}
	return strings.ToUpper(f[1])
}

// imapCode is the bracketed response code word: "[READ-WRITE]" gives "READ-WRITE".
func imapCode(line string) string {
	i := strings.IndexByte(line, '[')
	if i < 0 || i > 16 {
		return ""
	}
	j := strings.IndexAny(line[i:], " ]")
	if j < 0 {
		return ""
	}
	return strings.ToUpper(line[i+1 : i+j])
}

// untaggedKind names an untagged line: "* 3 EXISTS" gives "EXISTS",
// "* OK [UIDNEXT 4] ..." gives "OK [UIDNEXT]".
func untaggedKind(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "*" {
		return line
	}
	k := strings.ToUpper(f[1])
	if len(f) > 2 && strings.Trim(f[1], "0123456789") == "" {
		k = strings.ToUpper(f[2])
	}
	if k == "OK" || k == "NO" || k == "BAD" {
		if c := imapCode(line); c != "" {
			k += " [" + c + "]"
		}
	}
	return k
}

// dataKinds are untagged responses that carry what the student asked for.
var dataKinds = []string{"CAPABILITY", "LIST", "LSUB", "STATUS", "SEARCH", "FETCH", "EXISTS", "FLAGS", "BYE"}

func imapCapabilities(lines []string) []string {
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) > 2 && f[0] == "*" && strings.EqualFold(f[1], "CAPABILITY") {
			return f[2:]
		}
		if i := strings.Index(strings.ToUpper(l), "[CAPABILITY "); i >= 0 {
			rest := l[i+len("[CAPABILITY "):]
			if j := strings.IndexByte(rest, ']'); j >= 0 {
				return strings.Fields(rest[:j])
			}
		}
	}
	return nil
}

func compareIMAP(st step, e, r outcome) []difference {
	if len(e.lines) == 0 || len(r.lines) == 0 {
		if len(e.lines) != len(r.lines) {
			return []difference{vis("no reply from the %s server", ifElse(len(e.lines) == 0, "embedded", "real"))}
		}
		return nil
	}
	var out []difference
	es, rs := imapStatus(e.final()), imapStatus(r.final())
	if es != rs {
		out = append(out, vis("status %s, real %s", es, rs))
	}
	if ec, rc := imapCode(e.final()), imapCode(r.final()); ec != rc && es == rs && ec != "CAPABILITY" && rc != "CAPABILITY" {
		out = append(out, minor("response code [%s], real [%s]", ec, rc))
	}
	var ek, rk []string
	for _, l := range e.lines[:len(e.lines)-1] {
		ek = append(ek, untaggedKind(l))
	}
	for _, l := range r.lines[:len(r.lines)-1] {
		rk = append(rk, untaggedKind(l))
	}
	onlyE, onlyR := setDiff(ek, rk)
	var dataE, dataR, otherE, otherR []string
	for _, k := range onlyE {
		if slices.Contains(dataKinds, k) {
			dataE = append(dataE, k)
		} else {
			otherE = append(otherE, k)
		}
	}
	for _, k := range onlyR {
		if slices.Contains(dataKinds, k) {
			dataR = append(dataR, k)
		} else {
			otherR = append(otherR, k)
		}
	}
	// Capabilities after login come either as an untagged line or as the
	// tagged reply's [CAPABILITY] code; both tell the client the same.
	if ec, rc := imapCode(e.final()), imapCode(r.final()); ec == "CAPABILITY" || rc == "CAPABILITY" {
		dataE = slices.DeleteFunc(dataE, func(k string) bool { return k == "CAPABILITY" })
		dataR = slices.DeleteFunc(dataR, func(k string) bool { return k == "CAPABILITY" })
		if ec != rc {
			out = append(out, minor("capabilities sent as %s, real as %s",
				ifElse(ec == "CAPABILITY", "[CAPABILITY] code", "untagged line"),
				ifElse(rc == "CAPABILITY", "[CAPABILITY] code", "untagged line")))
		}
	}
	if len(dataE)+len(dataR) > 0 {
		out = append(out, vis("untagged data: only embedded %v, only real %v", dataE, dataR))
	}
	if len(otherE)+len(otherR) > 0 {
		out = append(out, minor("untagged status lines: only embedded %v, only real %v", otherE, otherR))
	}
	for _, kind := range []string{"FETCH", "LIST", "LSUB"} {
		ne, nr := slices.Index(ek, kind), slices.Index(rk, kind)
		ce, cr := countOf(ek, kind), countOf(rk, kind)
		if ne >= 0 && nr >= 0 && ce != cr {
			out = append(out, vis("%d %s lines, real %d", ce, kind, cr))
		}
	}
	for i := range e.lines {
		if untaggedKind(e.lines[i]) == "SEARCH" {
			for _, rl := range r.lines {
				if untaggedKind(rl) == "SEARCH" && strings.Join(strings.Fields(rl), " ") != strings.Join(strings.Fields(e.lines[i]), " ") {
					if strings.HasPrefix(strings.ToUpper(st.send), "UID ") {
						// UIDs count every message the real mailbox ever held.
						out = append(out, minor("UIDs %q, real %q", e.lines[i], rl))
					} else {
						out = append(out, vis("search result %q, real %q", e.lines[i], rl))
					}
				}
			}
		}
	}
	if verb := strings.ToUpper(strings.SplitN(st.send, " ", 2)[0]); verb == "CAPABILITY" || st.send == "" {
		out = append(out, describeSets("capabilities", imapCapabilities(e.lines), imapCapabilities(r.lines))...)
	}
	return out
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------- HTTP

func compareHTTP(e, r outcome) []difference {
	if e.http == nil || r.http == nil {
		if (e.http == nil) != (r.http == nil) {
			return []difference{vis("no response from the %s server", ifElse(e.http == nil, "embedded", "real"))}
		}
		return nil
	}
	var out []difference
	if e.http.code != r.http.code {
		out = append(out, vis("status %d, real %d", e.http.code, r.http.code))
		return out
	}
	for _, h := range []string{"content-type", "location", "allow"} {
		ev, rv := e.http.headers[h], r.http.headers[h]
		if ev != rv {
			out = append(out, minor("%s %q, real %q", h, ev, rv))
		}
	}
	if e.http.code == 200 && !bytes.Equal(e.http.body, r.http.body) {
		out = append(out, vis("body of %d bytes differs from the real one of %d bytes", len(e.http.body), len(r.http.body)))
	} else if e.http.code != 200 && !bytes.Equal(e.http.body, r.http.body) {
		out = append(out, minor("error page text differs (%d vs %d bytes)", len(e.http.body), len(r.http.body)))
	}
	return out
}
