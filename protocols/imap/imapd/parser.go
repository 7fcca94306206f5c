package imapd

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// argKind tells how an argument was written on the wire; handlers care
// because NIL the atom is not "NIL" the string, and flags are atoms.
type argKind int

const (
	argAtom    argKind = iota // bare word, including \Flags, 1:*, BODY[...]<...>
	argQuoted                 // "quoted string"
	argLiteral                // {n} literal
	argList                   // parenthesised list
)

// arg is one tokenized command argument.
type arg struct {
	kind argKind
	text string // atom or string contents
	list []arg  // for argList
}

func (a arg) isString() bool { return a.kind == argQuoted || a.kind == argLiteral }

// isAtom reports whether a is the atom word (case-insensitive).
func (a arg) isAtom(word string) bool { return a.kind == argAtom && strings.EqualFold(a.text, word) }

// astring returns the value of an atom or string argument.
func (a arg) astring() (string, bool) {
	if a.kind == argList {
		return "", false
	}
	return a.text, true
}

func (a arg) String() string {
	switch a.kind {
	case argQuoted, argLiteral:
		return strconv.Quote(a.text)
	case argList:
		parts := make([]string, len(a.list))
		for i, x := range a.list {
			parts[i] = x.String()
		}
		return "(" + strings.Join(parts, " ") + ")"
	}
	return a.text
}

// command is a parsed command line: "tag NAME args".
type command struct {
	tag  string
	name string // upper case; for UID commands "UID FETCH" etc.
	uid  bool
	args []arg
}

// maxListDepth bounds nesting so hostile input cannot exhaust the stack.
const maxListDepth = 64

// errBadTag and errNoCommand let the session choose the wording of the BAD.
var (
	errBadTag    = errors.New("invalid tag")
	errNoCommand = errors.New("missing command")
)

// splitTag returns the tag at the start of a raw command line, or "" when
// it has none that could be echoed back.
func splitTag(line []byte) string {
	end := 0
	for end < len(line) && line[end] != ' ' && line[end] != '\r' && line[end] != '\n' {
		end++
	}
	tag := string(line[:end])
	if !validTag(tag) {
		return ""
	}
	return tag
}

func validTag(tag string) bool {
	if tag == "" || len(tag) > 64 {
		return false
	}
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		if c == '+' || !isAtomChar(c) || c >= 0x80 || c == '%' || c == '*' || c == '[' || c == ']' {
			return false
		}
	}
	return true
}

// parseCommand tokenizes a whole command: the line with its literals
// spliced in as "{n}\r\n" followed by n bytes, exactly as received.
func parseCommand(buf []byte) (command, error) {
	p := &parser{buf: buf}
	var cmd command
	tag := p.word()
	if !validTag(tag) {
		return cmd, errBadTag
	}
	cmd.tag = tag
	if !p.consume(' ') {
		return cmd, errNoCommand
	}
	name := p.word()
	if name == "" {
		return cmd, errNoCommand
	}
	cmd.name = strings.ToUpper(name)
	if cmd.name == "UID" {
		cmd.uid = true
		if !p.consume(' ') {
			return cmd, fmt.Errorf("UID needs a command (FETCH, SEARCH, STORE, COPY or EXPUNGE)")
		}
		sub := p.word()
		if sub == "" {
			return cmd, fmt.Errorf("UID needs a command (FETCH, SEARCH, STORE, COPY or EXPUNGE)")
		}
		cmd.name = strings.ToUpper(sub)
	}
	args, err := p.args(0)
	if err != nil {
		return cmd, err
	}
	if p.pos < len(p.buf) {
		return cmd, fmt.Errorf("unexpected %q at offset %d", p.buf[p.pos], p.pos)
	}
	cmd.args = args
	return cmd, nil
}

// parser is a cursor over one command buffer.
type parser struct {
	buf []byte
	pos int
}

func (p *parser) consume(c byte) bool {
	if p.pos < len(p.buf) && p.buf[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// word reads characters up to the next space (used for tag and name).
func (p *parser) word() string {
	start := p.pos
	for p.pos < len(p.buf) && p.buf[p.pos] != ' ' && isAtomChar(p.buf[p.pos]) {
		p.pos++
	}
	return string(p.buf[start:p.pos])
}

// args reads space-separated arguments until the end of the buffer (depth
// 0) or a closing parenthesis (inside a list).
func (p *parser) args(depth int) ([]arg, error) {
	if depth > maxListDepth {
		return nil, errors.New("lists nested too deeply")
	}
	var out []arg
	first := true
	for {
		if p.pos >= len(p.buf) {
			if depth > 0 {
				return nil, errors.New("missing ')'")
			}
			return out, nil
		}
		if p.buf[p.pos] == ')' {
			if depth == 0 {
				return nil, errors.New("unexpected ')'")
			}
			return out, nil
		}
		if !first || depth == 0 {
			if !p.consume(' ') {
				return nil, fmt.Errorf("expected a space at offset %d", p.pos)
			}
			if p.pos >= len(p.buf) {
				return nil, errors.New("trailing space")
			}
		}
		first = false
		a, err := p.arg(depth)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
}

func (p *parser) arg(depth int) (arg, error) {
	if p.pos >= len(p.buf) {
		return arg{}, errors.New("missing argument")
	}
	switch c := p.buf[p.pos]; {
	case c == '(':
		p.pos++
		list, err := p.args(depth + 1)
		if err != nil {
			return arg{}, err
		}
		p.pos++ // the ')' that ended the list
		return arg{kind: argList, list: list}, nil
	case c == '"':
		s, err := p.quoted()
		return arg{kind: argQuoted, text: s}, err
	case c == '{':
		s, err := p.literal()
		return arg{kind: argLiteral, text: s}, err
	default:
		s, err := p.atom()
		return arg{kind: argAtom, text: s}, err
	}
}

func (p *parser) quoted() (string, error) {
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.buf) {
		c := p.buf[p.pos]
		p.pos++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if p.pos >= len(p.buf) {
				return "", errors.New("unterminated quoted string")
			}
			next := p.buf[p.pos]
			if next != '"' && next != '\\' {
				return "", fmt.Errorf("invalid escape \\%c in quoted string", next)
			}
			b.WriteByte(next)
			p.pos++
		case '\r', '\n':
			return "", errors.New("line break in quoted string (use a literal)")
		default:
			b.WriteByte(c)
		}
	}
	return "", errors.New("unterminated quoted string")
}

// literal reads "{n}\r\n" or "{n+}\r\n" and the n bytes after it.
func (p *parser) literal() (string, error) {
	end := p.pos + 1
	for end < len(p.buf) && p.buf[end] >= '0' && p.buf[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(string(p.buf[p.pos+1 : end]))
	if err != nil || end-p.pos > 11 {
		return "", errors.New("invalid literal size")
	}
	if end < len(p.buf) && p.buf[end] == '+' {
		end++
	}
	if !bytes.HasPrefix(p.buf[end:], []byte("}\r\n")) {
		return "", errors.New("literal size must be followed by '}' and a line end")
	}
	start := end + 3
	if n > len(p.buf)-start {
		return "", errors.New("literal shorter than announced")
	}
	p.pos = start + n
	return string(p.buf[start:p.pos]), nil
}

// atom reads an atom. A '[' after BODY and the like starts a section that
// runs to the matching ']' and may hold spaces and lists (BODY[HEADER.FIELDS (FROM)]), followed
// by an optional <partial>; the whole is one atom for the FETCH parser.
func (p *parser) atom() (string, error) {
	start := p.pos
	for p.pos < len(p.buf) {
		c := p.buf[p.pos]
		if c == '[' && isSectionPrefix(p.buf[start:p.pos]) {
			close := bytes.IndexByte(p.buf[p.pos:], ']')
			if close < 0 {
				return "", errors.New("missing ']'")
			}
			inner := p.buf[p.pos : p.pos+close]
			if bytes.ContainsAny(inner, "\r\n") {
				return "", errors.New("line break inside [...]")
			}
			p.pos += close + 1
			if p.pos < len(p.buf) && p.buf[p.pos] == '<' {
				gt := bytes.IndexByte(p.buf[p.pos:], '>')
				if gt < 0 {
					return "", errors.New("missing '>'")
				}
				p.pos += gt + 1
			}
			continue
		}
		if !isAtomChar(c) {
			break
		}
		p.pos++
	}
	if p.pos == start {
		return "", fmt.Errorf("unexpected %q at offset %d", p.buf[p.pos], p.pos)
	}
	return string(p.buf[start:p.pos]), nil
}

// isSectionPrefix reports whether an atom so far names a FETCH item with
// a section. Elsewhere '[' and ']' are plain characters of an astring, so
// a mailbox called "[" is a name (Dovecot answers NO, not BAD, when it
// does not exist).
func isSectionPrefix(word []byte) bool {
	switch strings.ToUpper(string(word)) {
	case "BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE":
		return true
	}
	return false
}

// isAtomChar accepts atom characters plus the list wildcards and flag
// backslash, which the grammar allows in the places we read atoms, and
// 8-bit bytes, so that people can type UTF-8 search words unquoted.
func isAtomChar(c byte) bool {
	if c <= ' ' || c == 0x7f {
		return false
	}
	switch c {
	case '(', ')', '{', '"':
		return false
	}
	return true
}

// trailingLiteral reports whether a received line ends with a literal
// announcement "{n}" or "{n+}", returning n and whether it is
// non-synchronizing. ok is false for no announcement; n is -1 for an
// announcement whose size does not fit in an int64 (still a literal).
func trailingLiteral(line []byte) (n int64, nonSync bool, ok bool) {
	if len(line) < 3 || line[len(line)-1] != '}' {
		return 0, false, false
	}
	open := bytes.LastIndexByte(line, '{')
	if open < 0 {
		return 0, false, false
	}
	digits := string(line[open+1 : len(line)-1])
	if strings.HasSuffix(digits, "+") {
		digits, nonSync = digits[:len(digits)-1], true
	}
	if digits == "" {
		return 0, false, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false, false
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return -1, nonSync, true
	}
	return n, nonSync, true
}

// seqRange is one element of a sequence set; 0 stands for "*".
type seqRange struct{ lo, hi uint32 }

// seqSet is a parsed sequence set such as "1,3:5,7:*".
type seqSet []seqRange

func parseSeqSet(s string) (seqSet, error) {
	if s == "" {
		return nil, errors.New("empty sequence set")
	}
	var out seqSet
	for _, part := range strings.Split(s, ",") {
		loText, hiText, isRange := strings.Cut(part, ":")
		lo, err := parseSeqNumber(loText)
		if err != nil {
			return nil, err
		}
		hi := lo
		if isRange {
			if hi, err = parseSeqNumber(hiText); err != nil {
				return nil, err
			}
		}
		out = append(out, seqRange{lo, hi})
	}
	return out, nil
}

func parseSeqNumber(s string) (uint32, error) {
	if s == "*" {
		return 0, nil
	}
	if s == "" || s[0] == '0' {
		return 0, fmt.Errorf("invalid sequence number %q", s)
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid sequence number %q", s)
	}
	return uint32(n), nil
}

// contains reports whether n is in the set, with star the value of "*".
func (set seqSet) contains(n, star uint32) bool {
	for _, r := range set {
		lo, hi := r.lo, r.hi
		if lo == 0 {
			lo = star
		}
		if hi == 0 {
			hi = star
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		if n >= lo && n <= hi {
			return true
		}
	}
	return false
}

// maxExplicit is the largest number written in the set; ranges with a
// "*" count only when withStar is set.
func (set seqSet) maxExplicit(withStar bool) uint32 {
	var m uint32
	for _, r := range set {
		if withStar || (r.lo != 0 && r.hi != 0) {
			m = max(m, r.lo, r.hi)
		}
	}
	return m
}

// formatUIDSet writes ascending UIDs compactly: "1:3,7".
func formatUIDSet(uids []uint32) string {
	var b strings.Builder
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j > i {
			fmt.Fprintf(&b, "%d:%d", uids[i], uids[j])
		} else {
			fmt.Fprintf(&b, "%d", uids[i])
		}
		i = j + 1
	}
	return b.String()
}
