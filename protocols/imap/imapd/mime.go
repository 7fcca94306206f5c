package imapd

import (
	"bytes"
	"mime"
	"sort"
	"strconv"
	"strings"
)

// entity is one MIME entity over the raw message bytes: a message, a body
// part, or a message inside a message/rfc822 part. IMAP sections and sizes
// are defined on the raw octets, so nothing here decodes content.
type entity struct {
	header   []byte // raw header including the empty line that ends it
	body     []byte // raw body
	fields   []headerField
	typ      string // lower case, e.g. "text"
	subtype  string // lower case, e.g. "plain"
	params   map[string]string
	children []*entity // multipart parts
	message  *entity   // the encapsulated message of a message/rfc822 part
}

type headerField struct {
	name  string // as written
	value string // unfolded, surrounding space trimmed
}

// maxMIMEDepth bounds nesting of multiparts and message/rfc822 parts.
const maxMIMEDepth = 32

// parseEntity splits raw into header and body and parses the structure.
// defaultType is "text/plain", or "message/rfc822" inside multipart/digest.
func parseEntity(raw []byte, defaultType string, depth int) *entity {
	e := &entity{}
	e.header, e.body = splitHeader(raw)
	e.fields = parseHeaderFields(e.header)
	e.typ, e.subtype, e.params = contentType(e.get("Content-Type"), defaultType)
	if depth >= maxMIMEDepth {
		return e
	}
	switch {
	case e.typ == "multipart":
		childType := "text/plain"
		if e.subtype == "digest" {
			childType = "message/rfc822"
		}
		for _, part := range splitMultipart(e.body, e.params["boundary"]) {
			e.children = append(e.children, parseEntity(part, childType, depth+1))
		}
	case e.typ == "message" && e.subtype == "rfc822":
		e.message = parseEntity(e.body, "text/plain", depth+1)
	}
	return e
}

// splitHeader cuts at the first empty line. The empty line belongs to the
// header, as in IMAP's BODY[HEADER].
func splitHeader(raw []byte) (header, body []byte) {
	if bytes.HasPrefix(raw, []byte("\r\n")) {
		return raw[:2], raw[2:]
	}
	if bytes.HasPrefix(raw, []byte("\n")) {
		return raw[:1], raw[1:]
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\n' {
			continue
		}
		rest := raw[i+1:]
		switch {
		case bytes.HasPrefix(rest, []byte("\r\n")):
			return raw[:i+3], raw[i+3:]
		case bytes.HasPrefix(rest, []byte("\n")):
			return raw[:i+2], raw[i+2:]
		}
	}
	return raw, nil
}

// parseHeaderFields reads "Name: value" lines with folded continuations.
// Lines without a colon are skipped: real mail has junk and it must not
// stop a FETCH.
func parseHeaderFields(header []byte) []headerField {
	var out []headerField
	for _, line := range headerLines(header) {
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			continue
		}
		value = strings.Join(strings.Fields(strings.NewReplacer("\r\n", " ", "\n", " ").Replace(value)), " ")
		out = append(out, headerField{name: name, value: value})
	}
	return out
}

// headerLines returns each field with its continuation lines, as raw text
// including line ends.
func headerLines(header []byte) []string {
	var out []string
	for len(header) > 0 {
		end := bytes.IndexByte(header, '\n') + 1
		if end == 0 {
			end = len(header)
		}
		line := string(header[:end])
		header = header[end:]
		if strings.TrimRight(line, "\r\n") == "" {
			break
		}
		if (line[0] == ' ' || line[0] == '\t') && len(out) > 0 {
			out[len(out)-1] += line
			continue
		}
		out = append(out, line)
	}
	return out
}

func (e *entity) get(name string) string {
	for _, f := range e.fields {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

func contentType(value, defaultType string) (typ, subtype string, params map[string]string) {
	mediaType, params, err := mime.ParseMediaType(value)
	if value == "" || err != nil || !strings.Contains(mediaType, "/") {
		mediaType, params = defaultType, map[string]string{}
		if defaultType == "text/plain" {
			params["charset"] = "us-ascii"
		}
	}
	typ, subtype, _ = strings.Cut(mediaType, "/")
	return typ, subtype, params
}

// splitMultipart returns the raw parts between boundary delimiter lines.
// The line end before a delimiter belongs to the delimiter (RFC 2046).
func splitMultipart(body []byte, boundary string) [][]byte {
	if boundary == "" {
		return nil
	}
	delim := "--" + boundary
	var parts [][]byte
	start := -1 // offset where the current part begins
	for pos := 0; pos <= len(body); {
		end := bytes.IndexByte(body[pos:], '\n')
		next := len(body) + 1
		if end >= 0 {
			next = pos + end + 1
		}
		line := strings.TrimRight(string(body[pos:min(next, len(body))]), "\r\n")
		if strings.HasPrefix(line, delim) {
			rest := strings.TrimRight(line[len(delim):], " \t")
			if rest == "" || rest == "--" {
				if start >= 0 {
					partEnd := pos
					if partEnd > start && body[partEnd-1] == '\n' {
						partEnd--
						if partEnd > start && body[partEnd-1] == '\r' {
							partEnd--
						}
					}
					parts = append(parts, body[start:max(partEnd, start)])
				}
				if rest == "--" {
					return parts
				}
				start = min(next, len(body))
			}
		}
		if end < 0 {
			break
		}
		pos = next
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:]) // unterminated last part
	}
	return parts
}

// bodyStructure writes the BODYSTRUCTURE (ext true) or BODY form.
func (e *entity) bodyStructure(b *bytes.Buffer, ext bool) {
	b.WriteByte('(')
	if e.typ == "multipart" && len(e.children) > 0 {
		for _, c := range e.children {
			c.bodyStructure(b, ext)
		}
		b.WriteByte(' ')
		writeString(b, strings.ToLower(e.subtype))
		if ext {
			b.WriteByte(' ')
			writeParams(b, e.params)
			e.writeExtensionTail(b)
		}
		b.WriteByte(')')
		return
	}
	writeString(b, strings.ToLower(e.typ))
	b.WriteByte(' ')
	writeString(b, strings.ToLower(e.subtype))
	b.WriteByte(' ')
	writeParams(b, e.params)
	b.WriteByte(' ')
	writeNString(b, e.get("Content-ID"))
	b.WriteByte(' ')
	writeNString(b, e.get("Content-Description"))
	b.WriteByte(' ')
	encoding := e.get("Content-Transfer-Encoding")
	if encoding == "" {
		encoding = "7bit"
	}
	writeString(b, strings.ToLower(encoding))
	b.WriteString(" " + strconv.Itoa(len(e.body)))
	switch {
	case e.typ == "message" && e.subtype == "rfc822" && e.message != nil:
		b.WriteByte(' ')
		e.message.envelope(b)
		b.WriteByte(' ')
		e.message.bodyStructure(b, ext)
		b.WriteString(" " + strconv.Itoa(countLines(e.body)))
	case e.typ == "text":
		b.WriteString(" " + strconv.Itoa(countLines(e.body)))
	}
	if ext {
		b.WriteByte(' ')
		writeNString(b, e.get("Content-MD5"))
		e.writeExtensionTail(b)
	}
	b.WriteByte(')')
}

// writeExtensionTail writes disposition, language and location.
func (e *entity) writeExtensionTail(b *bytes.Buffer) {
	b.WriteByte(' ')
	if disp, params, err := mime.ParseMediaType(e.get("Content-Disposition")); err == nil && disp != "" {
		b.WriteByte('(')
		writeString(b, strings.ToLower(disp))
		b.WriteByte(' ')
		writeParams(b, params)
		b.WriteByte(')')
	} else {
		b.WriteString("NIL")
	}
	b.WriteByte(' ')
	writeNString(b, e.get("Content-Language"))
	b.WriteByte(' ')
	writeNString(b, e.get("Content-Location"))
}

func countLines(body []byte) int { return bytes.Count(body, []byte("\n")) }

func writeParams(b *bytes.Buffer, params map[string]string) {
	if len(params) == 0 {
		b.WriteString("NIL")
		return
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteByte('(')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		writeString(b, strings.ToLower(k))
		b.WriteByte(' ')
		writeString(b, params[k])
	}
	b.WriteByte(')')
}

// envelope writes the ENVELOPE of a message entity.
func (e *entity) envelope(b *bytes.Buffer) {
	b.WriteByte('(')
	writeNString(b, e.get("Date"))
	b.WriteByte(' ')
	writeNString(b, e.get("Subject"))
	from := e.get("From")
	for _, field := range []struct{ name, fallback string }{
		{"From", ""}, {"Sender", from}, {"Reply-To", from}, {"To", ""}, {"Cc", ""}, {"Bcc", ""},
	} {
		b.WriteByte(' ')
		value := e.get(field.name)
		if value == "" {
			value = field.fallback
		}
		writeAddressList(b, value)
	}
	b.WriteByte(' ')
	writeNString(b, e.get("In-Reply-To"))
	b.WriteByte(' ')
	writeNString(b, e.get("Message-ID"))
	b.WriteByte(')')
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// writeNString writes NIL for an empty value, else a string.
func writeNString(b *bytes.Buffer, s string) {
	if s == "" {
		b.WriteString("NIL")
		return
	}
	writeString(b, s)
}

// writeString writes a quoted string, or a literal when the text cannot be
// quoted (line breaks, NUL, 8-bit bytes or great length).
func writeString(b *bytes.Buffer, s string) {
	quotable := len(s) < 1024
	for i := 0; i < len(s) && quotable; i++ {
		if c := s[i]; c == '\r' || c == '\n' || c == 0 || c >= 0x80 {
			quotable = false
		}
	}
	if !quotable {
		writeLiteral(b, []byte(s))
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

func writeLiteral(b *bytes.Buffer, data []byte) {
	b.WriteString("{" + strconv.Itoa(len(data)) + "}\r\n")
	b.Write(data)
}

// writeAString writes an atom when the text is a plain atom (mailbox
// names such as INBOX), else a string.
func writeAString(b *bytes.Buffer, s string) {
	plain := s != "" && !strings.EqualFold(s, "NIL")
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		if !isAtomChar(c) || c >= 0x80 || c == '%' || c == '*' || c == '\\' || c == '[' || c == ']' {
			plain = false
		}
	}
	if plain {
		b.WriteString(s)
		return
	}
	writeString(b, s)
}
