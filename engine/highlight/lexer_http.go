package highlight

// The transcript lexer for HTTP/1.x: request and status lines, header
// fields, heads and bodies.

import (
	"strings"

	"github.com/alecthomas/chroma/v2"
)

// httpRequest splits a request line "METHOD target HTTP/1.1".
func httpRequest(s string) (method, target, version string, ok bool) {
	m := 0
	for m < len(s) && s[m] >= 'A' && s[m] <= 'Z' {
		m++
	}
	if m == 0 || !strings.HasPrefix(s[m:], " ") {
		return
	}
	rest := s[m+1:]
	t := strings.IndexByte(rest, ' ')
	if t <= 0 {
		return
	}
	v := rest[t+1:]
	if n := httpVersion(v); n == 0 || n != len(v) {
		// The version must end the line; without its ".d" it may still.
		if n2 := httpVersionShort(v); n2 == 0 || n2 != len(v) {
			return
		}
	}
	return s[:m], rest[:t], v, true
}

// httpVersion is the length of "HTTP/d.d" (or "HTTP/d" when no ".d"
// follows) at the start of s, or 0.
func httpVersion(s string) int {
	if !strings.HasPrefix(s, "HTTP/") {
		return 0
	}
	d := digitsN(s[5:], 1, 1)
	if d < 0 {
		return 0
	}
	i := 5 + d
	if strings.HasPrefix(s[i:], ".") {
		if e := digitsN(s[i+1:], 1, 1); e > 0 {
			return i + 1 + e
		}
	}
	return i
}

// httpVersionShort is "HTTP/d" alone, for when the ".d" form does not fit.
func httpVersionShort(s string) int {
	if !strings.HasPrefix(s, "HTTP/") {
		return 0
	}
	d := digitsN(s[5:], 1, 1)
	if d < 0 {
		return 0
	}
	return 5 + d
}

// httpStatus splits a status line "HTTP/1.1 200 text" whose code has class
// 1-5.
func httpStatus(s string) (version, code, rest string, ok bool) {
	for _, n := range []int{httpVersion(s), httpVersionShort(s)} {
		if n == 0 || !strings.HasPrefix(s[n:], " ") {
			continue
		}
		c := s[n+1:]
		if c == "" || c[0] < '1' || c[0] > '5' {
			return
		}
		d := digitsN(c[1:], 2, 2)
		if d < 0 {
			return
		}
		return s[:n], c[:1+d], c[1+d:], true
	}
	return
}

// httpStatusAhead reports whether s starts like a status line with any
// three-digit code: it ends a response body.
func httpStatusAhead(s string) bool {
	for _, n := range []int{httpVersion(s), httpVersionShort(s)} {
		if n > 0 && strings.HasPrefix(s[n:], " ") && digitsN(s[n+1:], 3, 3) > 0 {
			return true
		}
	}
	return false
}

func (x *lexState) httpRoot(line string) {
	if p, ok := cut(line, 'C'); ok {
		if method, target, version, ok := httpRequest(p.rest); ok {
			x.head(p)
			x.emit(chroma.Keyword, method)
			x.emit(chroma.Text, " ")
			x.emit(chroma.NameNamespace, target)
			x.emit(chroma.Text, " ")
			x.emit(chroma.KeywordReserved, version)
			x.emit(chroma.Text, p.nl)
			x.push(modeHTTPCHead)
			return
		}
	}
	if p, ok := cut(line, 'S'); ok {
		if version, code, rest, ok := httpStatus(p.rest); ok {
			x.head(p)
			x.emit(chroma.KeywordReserved, version)
			x.emit(chroma.Text, " ")
			x.emit(replyToken(code[0]), code)
			x.emit(chroma.Text, rest)
			x.emit(chroma.Text, p.nl)
			x.push(modeHTTPSHead)
			return
		}
	}
	if x.httpHeader(line, 'C') || x.httpHeader(line, 'S') {
		return
	}
	x.common(line)
}

// httpHeader lexes a header line "Name: value", or an obsolete folded
// continuation (a line starting with a space or tab), of kind 'C' or 'S'.
func (x *lexState) httpHeader(line string, kind byte) bool {
	p, ok := cut(line, kind)
	if !ok {
		return false
	}
	if n := runWhile(p.rest, isHTTPToken); n > 0 && strings.HasPrefix(p.rest[n:], ":") {
		x.head(p)
		x.emit(chroma.NameAttribute, p.rest[:n])
		x.emit(chroma.Punctuation, ":")
		x.emit(chroma.Text, p.rest[n+1:])
		x.emit(chroma.Text, p.nl)
		return true
	}
	if c := line[2]; c == ' ' || c == '\t' {
		x.head(prefixed{mark: p.mark})
		x.emit(chroma.Text, line[2:len(line)-1])
		x.emit(chroma.Text, p.nl)
		return true
	}
	return false
}

// isHTTPToken: a header field name character (RFC 9110 token).
func isHTTPToken(r rune) bool {
	return r < 0x80 && (isLetter(byte(r)) || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+.^_`|~-", r))
}
