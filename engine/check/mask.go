package check

import (
	"regexp"
	"sort"
)

// Mask hides a field that legitimately changes on every run against a real
// server (a date, a queue id, a version), so that a lab written against a
// server stays true against the same server tomorrow.
type Mask struct {
	Name string
	re   *regexp.Regexp
	repl string
}

func mask(name, re, repl string) Mask {
	return Mask{Name: name, re: regexp.MustCompile(re), repl: repl}
}

var (
	versionNumber = `\b[vV]?\d+\.\d+(?:\.\d+)*(?:[-+~][0-9A-Za-z.+~-]*)?\b`
	httpMasks     = []Mask{
		mask("http-date", `^(Date|Last-Modified|Expires): .*$`, "$1: <date>"),
		mask("etag", `^(?i)(ETag): .*$`, "$1: <etag>"),
		mask("server-version", `^(Server: [^/\s]+)/\S+`, "$1/<version>"),
		mask("set-cookie", `^(Set-Cookie: [^=]+)=[^;]*`, "$1=<cookie>"),
	}
	mailMasks = []Mask{
		mask("message-id", `^(Message-I[Dd]: ).*$`, "$1<message-id>"),
		mask("mail-date", `^(Date: ).*$`, "$1<date>"),
		mask("queue-id", `(queued as|with E?SMTPS?A? id|with LMTP id) [0-9A-Za-z]+`, "$1 <id>"),
		// Dovecot LMTP folds its Received header as "\tid <session id>".
		mask("received-id", `^(\s+id) [A-Za-z0-9+/]{8,}$`, "$1 <id>"),
		mask("apop-stamp", `<[0-9.]+@[^>]+>`, "<apop>"),
		mask("uidvalidity", `(UIDVALIDITY) \d+`, "$1 <n>"),
		mask("dovecot-timing", ` \(\d+\.\d+ \+ \d+\.\d+(?: \+ \d+\.\d+)? secs\)`, " (<timing>)"),
		// RFC 5322 allows folding white space between the parts, and Postfix
		// pads a one-digit day with a space (strftime %e): "Tue,  1 Dec".
		mask("rfc5322-date", `(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),[ \t]+)?\d{1,2}[ \t]+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[ \t]+\d{4}[ \t]+\d{2}:\d{2}(?::\d{2})?[ \t]+(?:[+-]\d{4}|GMT|UTC?)(?:[ \t]+\([A-Za-z]+\))?`, "<date>"),
		// RFC 3501 date-day-fixed is (SP DIGIT) / 2DIGIT: " 1-Dec-2026".
		mask("internaldate", `(?:\d{2}| \d|\d)-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}`, "<internaldate>"),
		mask("greeting-version", `^((?:220|\+OK|\* OK)\b.*?)`+versionNumber, "$1<version>"),
	}
	// execMasks cover what a lab's code prints that changes by machine or
	// run; the mail and HTTP masks apply too (a fetched message has dates).
	execMasks = []Mask{
		// imaplib's debug lines start with the minutes and seconds of the
		// clock: "  57:04.83 > FNHG3 LIST".
		mask("imaplib-time", `^  \d{2}:\d{2}\.\d{2} `, "  <time> "),
		// Its tag prefix is four random letters A-P (wirebook seeds the
		// generator, a student's run does not).
		mask("imaplib-tag", `^(  <time> [<>] (?:b')?)[A-P]{4}(\d+ )`, "$1<tag>$2"),
		mask("imaplib-tag-announce", `(tag=)[A-P]{4}\b`, "$1<tag>"),
		// smtplib's ehlo() and helo() send the machine's own name.
		mask("client-host", `(send: '(?:ehlo|helo|EHLO|HELO) )[^\s'\\]+`, "$1<client-host>"),
		mask("received-from", `(Received: from )[A-Za-z0-9.-]+`, "$1<client-host>"),
		// A fetched message printed as a bytes value is one line: the
		// mail masks that work on a header line of their own need their
		// unanchored forms ("\r\n\tid <LMTP session id>").
		mask("repr-lmtp-id", `(\\tid )[A-Za-z0-9+/]{8,}`, "$1<id>"),
		mask("repr-message-id", `(Message-I[Dd]: )<[^>]*>`, "$1<message-id>"),
		// http.client's "header: " and curl -v's "< " debug lines carry
		// the HTTP headers the HTTP masks cover on a line of their own
		// (nginx's ETag changes with the file's time).
		mask("debug-etag", `^((?:header: |< )(?i:ETag): ).*$`, "$1<etag>"),
		mask("debug-server-version", `^((?:header: |< )Server: [^/\s]+)/\S+`, "$1/<version>"),
		mask("object-address", ` at 0x[0-9a-fA-F]+>`, " at 0x<address>>"),
		mask("loopback-port", `((?:127\.0\.0\.1|localhost|\[::1\])(?:'?, |:))\d{1,5}\b`, "$1<port>"),
		mask("work-dir", `\S*/wirebook-(?:python|console)-\d+`, "<dir>"),
	}
	// OptionalMasks are switched on by a lab's "masks:" front matter.
	OptionalMasks = map[string]Mask{
		"uidnext": mask("uidnext", `(UIDNEXT) \d+`, "$1 <n>"),
		"tls":     mask("tls", `^TLS \S+, \S+, `, "TLS <version>, <cipher>, "),
		// wirebook's own "connected to" note: the slots of an environment's
		// pool are the same servers on other ports.
		"port": mask("port", `^(connected to \S+ \([a-z0-9]+, port )\d+\)$`, "$1<port>)"),
	}
)

// OptionalMaskNames lists the optional masks, sorted.
func OptionalMaskNames() []string {
	var out []string
	for k := range OptionalMasks {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// MasksFor returns the built-in masks for a protocol name ("smtps" is smtp)
// plus the named optional ones.
func MasksFor(proto string, optional []string) []Mask {
	var out []Mask
	switch proto {
	case "pycon", "console", "python":
		out = append(out, execMasks...)
		out = append(out, mailMasks...)
		out = append(out, httpMasks...)
	case "http", "https":
		out = append(out, httpMasks...)
	default:
		out = append(out, mailMasks...)
		out = append(out, httpMasks[0], httpMasks[1])
	}
	for _, name := range optional {
		if m, ok := OptionalMasks[name]; ok {
			out = append(out, m)
		}
	}
	return out
}

func applyMasks(s string, masks []Mask) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.repl)
	}
	return s
}
