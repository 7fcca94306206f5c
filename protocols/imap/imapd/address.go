package imapd

import (
	"bytes"
	"mime"
	"strings"
)

// address is one entry of an RFC 5322 address list as ENVELOPE shows it:
// a mailbox, or the start (group set, mailbox empty) or end (both empty)
// of a group, which RFC 3501 7.4.2 writes as (NIL NIL "group" NIL) ...
// (NIL NIL NIL NIL).
type address struct {
	name, local, domain string
	group               string
	groupEnd            bool
}

// parseAddressList reads an address header's value. It is lenient, as
// mail readers are: comments are dropped wherever they are (a comment
// stands in for a missing display name), white space inside an address is
// ignored, and an entry that is no address is skipped.
func parseAddressList(value string) []address {
	var out []address
	inGroup := false
	for _, seg := range splitAddressList(value) {
		switch {
		case seg.groupStart:
			out = append(out, address{group: unquotePhrase(seg.text)})
			inGroup = true
		case seg.groupEnd:
			if inGroup {
				out = append(out, address{groupEnd: true})
				inGroup = false
			}
		default:
			if a, ok := parseMailbox(seg.text); ok {
				out = append(out, a)
			}
		}
	}
	if inGroup { // "group: a@b" without its ';'
		out = append(out, address{groupEnd: true})
	}
	return out
}

type addressSegment struct {
	text                 string
	groupStart, groupEnd bool
}

// splitAddressList cuts at the commas, colons and semicolons that are not
// inside quotes, comments or angle brackets.
func splitAddressList(value string) []addressSegment {
	var out []addressSegment
	var cur strings.Builder
	depth, angle, inQuote, inGroup := 0, false, false, false
	flush := func() {
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, addressSegment{text: t})
		}
		cur.Reset()
	}
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case inQuote:
			if c == '\\' && i+1 < len(value) {
				cur.WriteByte(c)
				i++
				c = value[i]
			} else if c == '"' {
				inQuote = false
			}
		case depth > 0:
			if c == '\\' && i+1 < len(value) {
				cur.WriteByte(c)
				i++
				c = value[i]
			} else if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			}
		case c == '"':
			inQuote = true
		case c == '(':
			depth++
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case angle:
		case c == ',':
			flush()
			continue
		case c == ':' && !inGroup:
			out = append(out, addressSegment{text: strings.TrimSpace(cur.String()), groupStart: true})
			cur.Reset()
			inGroup = true
			continue
		case c == ';' && inGroup:
			flush()
			out = append(out, addressSegment{groupEnd: true})
			inGroup = false
			continue
		}
		cur.WriteByte(c)
	}
	flush()
	return out
}

// parseMailbox reads "Name <local@domain>" or "local@domain (Name)".
func parseMailbox(text string) (address, bool) {
	text, comments := stripComments(text)
	var name, spec string
	if open := strings.IndexByte(text, '<'); open >= 0 {
		name = unquotePhrase(text[:open])
		spec = text[open+1:]
		if end := strings.IndexByte(spec, '>'); end >= 0 {
			spec = spec[:end]
		}
		if i := strings.LastIndexByte(spec, ':'); i >= 0 && strings.HasPrefix(strings.TrimSpace(spec), "@") {
			spec = spec[i+1:] // an obsolete source route, "@relay:user@host"
		}
	} else {
		spec = text
	}
	if name == "" && len(comments) > 0 {
		name = strings.TrimSpace(comments[len(comments)-1])
	}
	spec = strings.Join(strings.Fields(spec), "")
	at := strings.LastIndexByte(spec, '@')
	if at <= 0 || at == len(spec)-1 {
		return address{}, false
	}
	local := spec[:at]
	if len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"' {
		local = unquotePhrase(local)
	}
	return address{name: name, local: local, domain: spec[at+1:]}, true
}

// stripComments removes (comments), nested or not, outside quoted
// strings, and returns them.
func stripComments(text string) (string, []string) {
	var out, comment strings.Builder
	var comments []string
	depth, inQuote := 0, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case depth > 0:
			switch {
			case c == '\\' && i+1 < len(text):
				i++
				comment.WriteByte(text[i])
			case c == '(':
				depth++
				comment.WriteByte(c)
			case c == ')':
				if depth--; depth == 0 {
					comments = append(comments, comment.String())
					comment.Reset()
					out.WriteByte(' ')
				} else {
					comment.WriteByte(c)
				}
			default:
				comment.WriteByte(c)
			}
		case inQuote:
			if c == '\\' && i+1 < len(text) {
				out.WriteByte(c)
				i++
				c = text[i]
			} else if c == '"' {
				inQuote = false
			}
			out.WriteByte(c)
		case c == '(':
			depth++
		default:
			if c == '"' {
				inQuote = true
			}
			out.WriteByte(c)
		}
	}
	return out.String(), comments
}

// unquotePhrase turns a display name as written into its text: quotes
// and their escapes removed, white space collapsed. Encoded words stay
// encoded: ENVELOPE carries the header's own text.
func unquotePhrase(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// writeAddressList writes an ENVELOPE address list, or NIL.
func writeAddressList(b *bytes.Buffer, value string) {
	list := parseAddressList(value)
	if len(list) == 0 {
		b.WriteString("NIL")
		return
	}
	b.WriteByte('(')
	for _, a := range list {
		b.WriteByte('(')
		switch {
		case a.groupEnd:
			b.WriteString("NIL NIL NIL NIL")
		case a.group != "":
			b.WriteString("NIL NIL ")
			writeString(b, a.group)
			b.WriteString(" NIL")
		default:
			name := a.name
			if !isASCII(name) {
				// 8-bit header text goes out as an encoded word, so the
				// ENVELOPE stays 7-bit like the rest of the response.
				name = mime.QEncoding.Encode("utf-8", name)
			}
			writeNString(b, name)
			b.WriteString(" NIL ")
			writeNString(b, a.local)
			b.WriteByte(' ')
			writeNString(b, a.domain)
		}
		b.WriteByte(')')
	}
	b.WriteByte(')')
}

// addressContains matches SEARCH FROM/TO/CC/BCC: the raw header, or any
// address in it as "Name <local@domain>", its decoded name or its
// local@domain, so that comments and quoting do not hide a sender.
func addressContains(e *entity, field, needle string) bool {
	if headerContains(e, field, needle) {
		return true
	}
	for _, f := range e.fields {
		if !strings.EqualFold(f.name, field) {
			continue
		}
		for _, a := range parseAddressList(f.value) {
			if a.local == "" {
				continue
			}
			name := a.name
			if decoded, err := new(mime.WordDecoder).DecodeHeader(name); err == nil {
				name = decoded
			}
			spec := a.local + "@" + a.domain
			if containsFold(spec, needle) || containsFold(name, needle) || containsFold(name+" <"+spec+">", needle) {
				return true
			}
		}
	}
	return false
}
