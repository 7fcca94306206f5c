// Package diagram draws a session's recorded events as a sequence diagram:
// inline SVG with a client and a server lane, one arrow per command or
// reply in the order the bytes crossed the wire. It needs no script and no
// external request to be seen; colours come from currentColor and classes,
// so the page's light, dark and print styles apply.
package diagram

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wirebook/wirebook/protocols"
)

// Unit kinds: what one arrow or mark stands for.
const (
	KindCommand  = "command"  // a client command (with its literal or body lines)
	KindBody     = "body"     // client body lines sent on their own (SMTP DATA)
	KindReply    = "reply"    // a server reply (a tagged IMAP completion, an SMTP reply, ...)
	KindUntagged = "untagged" // IMAP untagged data ("* ...") or a continuation ("+ ...")
	KindOpen     = "open"     // connection opened
	KindTLS      = "tls"      // TLS started
	KindClose    = "close"    // connection closed
	KindError    = "error"    // the session stopped with an error
	KindNote     = "note"     // any other note
)

// Unit is one arrow or mark: a run of events drawn as one.
type Unit struct {
	Kind      string
	First     int    // index of its first event
	Lines     int    // events it stands for
	Bytes     int    // bytes of its lines as recorded, each with its line end (CRLF unless the line has none)
	Text      string // the first line
	Pipelined bool   // a client command written C+: left with the one before
	Seq       int    // client commands: 1-based number; 0 otherwise
	Answers   int    // replies: the Seq of the command answered; 0 for none (a greeting)
	Tag       string // IMAP: the command's or completion's tag
	Negative  bool   // a refusal: 4xx/5xx, -ERR, NO, BAD
	Payload   int    // lines of a body or literal inside the unit
}

// Units groups events into the arrows and marks of the diagram, and links
// each reply to the command it answers: by tag for IMAP completions, else
// in order (the oldest command without an answer), as the protocols
// require of pipelined commands.
func Units(events []protocols.Event, proto string) []Unit {
	return appendUnits(nil, events, proto)
}

// appendUnits is Units appending to out.
func appendUnits(out []Unit, events []protocols.Event, proto string) []Unit {
	p := family(proto)
	var pendBuf [16]int
	pending := pendBuf[:0] // indexes in out of commands awaiting a reply
	seq := 0
	goOn := "" // an intermediate reply (354, 334, IMAP "+") was the last: the client's next lines continue its command
	for i := 0; i < len(events); i++ {
		ev := events[i]
		if ev.Kind == protocols.Client && goOn == "354" && p == "smtp" {
			// The message after DATA's 354: every line up to the lone ".".
			u := Unit{Kind: KindBody, First: i, Text: ev.Text}
			for ; i < len(events) && events[i].Kind == protocols.Client; i++ {
				u.Lines++
				u.Payload++
				u.Bytes += lineBytes(events[i])
				if events[i].Text == "." {
					break
				}
			}
			if i == len(events) || events[i].Kind != protocols.Client {
				i--
			}
			goOn = ""
			out = append(out, u)
			continue
		}
		if ev.Kind == protocols.Note {
			out = append(out, Unit{Kind: noteKind(ev.Text), First: i, Lines: 1, Text: ev.Text})
			continue
		}
		u := Unit{First: i, Lines: 1, Text: ev.Text, Bytes: lineBytes(ev)}
		if ev.Payload {
			u.Payload = 1
		}
		j := i + 1
		for j < len(events) && events[j].Kind == ev.Kind && continues(p, events[j-1], events[j]) {
			u.Lines++
			u.Bytes += lineBytes(events[j])
			if events[j].Payload {
				u.Payload++
			}
			j++
		}
		i = j - 1
		if ev.Kind == protocols.Client {
			if ev.Payload || (goOn != "" && !ev.Pipelined) {
				// A literal, a SASL answer: part of the command before.
				goOn = ""
				u.Kind = KindBody
				out = append(out, u)
				continue
			}
			seq++
			u.Kind, u.Seq, u.Pipelined = KindCommand, seq, ev.Pipelined
			if p == "imap" {
				u.Tag, _, _ = strings.Cut(ev.Text, " ")
			}
			pending = append(pending, len(out))
			out = append(out, u)
			continue
		}
		u.Kind = KindReply
		u.Negative = negative(p, ev.Text)
		if p == "imap" {
			tag, rest, _ := strings.Cut(ev.Text, " ")
			if tag == "+" {
				goOn = "+"
			}
			if tag == "*" || tag == "+" {
				u.Kind = KindUntagged
				u.Negative = false
				if tag == "*" && (strings.HasPrefix(rest, "NO ") || strings.HasPrefix(rest, "BAD ")) {
					u.Negative = true
				}
				if len(pending) > 0 {
					u.Answers = out[pending[0]].Seq
				}
				out = append(out, u)
				continue
			}
			u.Tag = tag
			for k, c := range pending {
				if out[c].Tag == tag {
					u.Answers = out[c].Seq
					pending = append(pending[:k], pending[k+1:]...)
					break
				}
			}
			out = append(out, u)
			continue
		}
		if p == "smtp" && smtpIntermediate(ev.Text) {
			goOn = ev.Text[:3]
			// 354: the command goes on (its body, then ".") and gets a
			// second reply.
			if len(pending) > 0 {
				u.Answers = out[pending[0]].Seq
			}
			out = append(out, u)
			continue
		}
		if len(pending) > 0 {
			u.Answers = out[pending[0]].Seq
			pending = pending[1:]
		}
		out = append(out, u)
	}
	return out
}

func lineBytes(ev protocols.Event) int { return ev.WireLen() }

func family(proto string) string {
	p := strings.ToLower(proto)
	switch {
	case strings.HasPrefix(p, "smtp"), p == "submission", p == "lmtp":
		return "smtp"
	case strings.HasPrefix(p, "pop3"):
		return "pop3"
	case strings.HasPrefix(p, "imap"):
		return "imap"
	case strings.HasPrefix(p, "http"):
		return "http"
	}
	return p
}

func noteKind(text string) string {
	switch {
	case strings.HasPrefix(text, "connected to"):
		return KindOpen
	case strings.HasPrefix(text, "TLS handshake failed"), strings.HasPrefix(text, "error"):
		return KindError
	case strings.HasPrefix(text, "TLS "):
		return KindTLS
	case strings.HasPrefix(text, "connection closed"), strings.HasPrefix(text, "closed"):
		return KindClose
	}
	return KindNote
}

// continues reports whether next belongs to the same arrow as prev (both
// of one kind): body and literal lines always do; otherwise each protocol's
// framing decides.
func continues(p string, prev, next protocols.Event) bool {
	if next.Payload {
		return true
	}
	if next.Kind == protocols.Client {
		switch p {
		case "http":
			// Headers and the empty line go with their request line; a
			// new request line starts a new arrow.
			return !httpRequestLine(next.Text)
		}
		return false
	}
	switch p {
	case "smtp":
		return len(prev.Text) >= 4 && prev.Text[3] == '-' && isDigits(prev.Text[:3])
	case "pop3":
		// A multi-line reply ends with "."; the lines up to it are
		// its payload.
		return prev.Payload
	case "imap":
		// The rest of a response after a literal: ")" or more items.
		return prev.Payload && !imapResponseStart(next.Text)
	case "http":
		return !strings.HasPrefix(next.Text, "HTTP/")
	}
	return false
}

func httpRequestLine(s string) bool {
	m, rest, ok := strings.Cut(s, " ")
	if !ok || m == "" || !upper(m) {
		return false
	}
	return strings.Contains(rest, " HTTP/")
}

// upper reports whether strings.ToUpper(s) == s, without the copy: every
// rune valid and its own upper case.
func upper(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if size == 1 || unicode.ToUpper(r) != r {
			return false
		}
		i += size
	}
	return true
}

func imapResponseStart(s string) bool {
	tag, rest, ok := strings.Cut(s, " ")
	if !ok {
		return false
	}
	if tag == "*" || tag == "+" {
		return true
	}
	for _, w := range [...]string{"OK", "NO", "BAD", "BYE", "PREAUTH"} {
		if strings.HasPrefix(rest, w) && (len(rest) == len(w) || rest[len(w)] == ' ') {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func smtpIntermediate(s string) bool {
	return len(s) >= 3 && (s[:3] == "354" || s[:3] == "334")
}

// Negative reports whether a server line is a refusal (the transcript
// marks the whole line).
func Negative(proto, line string) bool { return negative(family(proto), line) }

// negative reports a refusal: an SMTP 4xx/5xx, POP3 -ERR, an IMAP NO or
// BAD completion, an HTTP 4xx/5xx status.
func negative(p, s string) bool {
	switch p {
	case "smtp":
		return len(s) >= 3 && (s[0] == '4' || s[0] == '5') && isDigits(s[:3])
	case "pop3":
		return strings.HasPrefix(s, "-ERR")
	case "imap":
		_, rest, _ := strings.Cut(s, " ")
		return strings.HasPrefix(rest, "NO") || strings.HasPrefix(rest, "BAD")
	case "http":
		f0, f1, ok := twoFields(s)
		return ok && strings.HasPrefix(f0, "HTTP/") && len(f1) == 3 && (f1[0] == '4' || f1[0] == '5')
	}
	return false
}

// twoFields returns the first two of strings.Fields(s), without the
// slice; ok is false when s has fewer.
func twoFields(s string) (f0, f1 string, ok bool) {
	var f [2]string
	n, start := 0, -1
	for i, r := range s {
		switch {
		case !unicode.IsSpace(r):
			if start < 0 {
				start = i
			}
		case start >= 0:
			f[n] = s[start:i]
			n, start = n+1, -1
			if n == 2 {
				return f[0], f[1], true
			}
		}
	}
	if start >= 0 {
		f[n] = s[start:]
		n++
	}
	return f[0], f[1], n == 2
}
