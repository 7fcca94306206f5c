package smtpd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// parseCommand splits a command line into its upper-cased verb and its
// argument, with surrounding spaces trimmed.
func parseCommand(line string) (verb, arg string) {
	line = strings.Trim(line, " \t")
	verb, arg, _ = strings.Cut(line, " ")
	return strings.ToUpper(verb), strings.Trim(arg, " \t")
}

// errPathSyntax is a MAIL/RCPT argument that is not "FROM:<...>" or
// "TO:<...>" followed by parameters.
var errPathSyntax = errors.New("path syntax")

// parsePath parses the argument of MAIL (prefix "FROM:") or RCPT ("TO:"):
// the address between the angle brackets and the ESMTP parameters after
// it. Spaces after the colon are tolerated, as most servers do. A source
// route ("<@a,@b:user@host>", RFC 5321 section 4.1.2) is dropped. An
// address without the brackets ("FROM:a@b") is accepted too, as Postfix
// does by default (strict_rfc821_envelopes = no): its first word is the
// address.
func parsePath(arg, prefix string) (addr string, params []string, err error) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", nil, errPathSyntax
	}
	rest := strings.TrimLeft(arg[len(prefix):], " ")
	if !strings.HasPrefix(rest, "<") {
		words := strings.Fields(rest)
		if len(words) == 0 {
			return "", nil, errPathSyntax
		}
		return words[0], words[1:], nil
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", nil, errPathSyntax
	}
	addr, tail := rest[1:end], rest[end+1:]
	if tail != "" && tail[0] != ' ' {
		return "", nil, errPathSyntax
	}
	if strings.HasPrefix(addr, "@") {
		if _, after, ok := strings.Cut(addr, ":"); ok {
			addr = after
		}
	}
	return addr, strings.Fields(tail), nil
}

// validAddress reports whether addr is a plain "local@domain" mailbox: one
// "@", both sides non-empty, no spaces, controls or angle brackets.
func validAddress(addr string) bool {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return false
	}
	for _, r := range addr {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' {
			return false
		}
	}
	return true
}

// printable replaces control characters in client text that a reply or a
// header repeats, so a stray CR cannot end a line early.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// domainOf is the part of addr after the "@", lower-cased.
func domainOf(addr string) string {
	_, domain, _ := strings.Cut(addr, "@")
	return strings.ToLower(domain)
}

// mailParams are the MAIL FROM parameters the server knows.
type mailParams struct {
	size int64 // SIZE= (RFC 1870); -1 when absent
}

// paramError is a MAIL or RCPT parameter the server refuses, with the reply
// to send.
type paramError struct {
	code int
	text string
}

func (e *paramError) Error() string { return fmt.Sprintf("%d %s", e.code, e.text) }

// parseMailParams checks the parameters after MAIL FROM:<...>.
func parseMailParams(params []string) (mailParams, error) {
	p := mailParams{size: -1}
	for _, param := range params {
		key, value, _ := strings.Cut(param, "=")
		switch strings.ToUpper(key) {
		case "SIZE":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 {
				return p, &paramError{501, "5.5.4 Bad SIZE parameter: want SIZE=<bytes>"}
			}
			p.size = n
		case "BODY":
			switch strings.ToUpper(value) {
			case "7BIT", "8BITMIME":
			default:
				return p, &paramError{501, "5.5.4 Bad BODY parameter: want BODY=7BIT or BODY=8BITMIME"}
			}
		case "AUTH":
			// RFC 4954 5: the submitter's identity, "<>" when unknown; go-smtp
			// and smtplib send it after AUTH. Postfix accepts it with or
			// without a login, and so does this server; it changes nothing.
			if value == "" {
				return p, &paramError{501, "5.5.4 Bad AUTH parameter: want AUTH=<> or AUTH=address"}
			}
		default:
			return p, &paramError{555, fmt.Sprintf("5.5.4 Unsupported option: %s", key)}
		}
	}
	return p, nil
}

// formatQueueID renders the n-th queue id of a server.
func formatQueueID(n uint64) string { return fmt.Sprintf("Q%05d", n) }
