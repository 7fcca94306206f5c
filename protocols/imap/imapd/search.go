package imapd

import (
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/wirebook/wirebook/protocols/mailstore"
)

// candidate is one message being tested by SEARCH.
type candidate struct {
	seq    uint32
	msg    *mailstore.Message
	recent bool
	ent    *entity // parsed on first use
}

func (c *candidate) entity() *entity {
	if c.ent == nil {
		c.ent = parseEntity(c.msg.Data, "text/plain", 0)
	}
	return c.ent
}

// searchKey is a compiled search criterion.
type searchKey func(c *candidate) bool

// searchParser compiles SEARCH arguments.
type searchParser struct {
	args   []arg
	pos    int
	maxSeq uint32 // value of "*" for message numbers
	maxUID uint32 // value of "*" for UID sets
	depth  int
}

var errBadCharset = errors.New("unsupported charset")

// parseSearch compiles the whole SEARCH argument list (all keys ANDed).
func parseSearch(args []arg, maxSeq, maxUID uint32) (searchKey, error) {
	if len(args) >= 2 && args[0].isAtom("CHARSET") {
		cs := strings.ToUpper(args[1].text)
		if args[1].kind == argList || (cs != "UTF-8" && cs != "US-ASCII") {
			return nil, errBadCharset
		}
		args = args[2:]
	}
	if len(args) == 0 {
		return nil, errors.New("missing search criteria")
	}
	p := &searchParser{args: args, maxSeq: maxSeq, maxUID: maxUID}
	return p.keys(args)
}

// keys compiles a sequence of keys that must all match.
func (p *searchParser) keys(args []arg) (searchKey, error) {
	saved, savedPos := p.args, p.pos
	p.args, p.pos = args, 0
	defer func() { p.args, p.pos = saved, savedPos }()
	var all []searchKey
	for p.pos < len(p.args) {
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		all = append(all, k)
	}
	return func(c *candidate) bool {
		for _, k := range all {
			if !k(c) {
				return false
			}
		}
		return true
	}, nil
}

func (p *searchParser) next() (arg, error) {
	if p.pos >= len(p.args) {
		return arg{}, errors.New("missing search argument")
	}
	a := p.args[p.pos]
	p.pos++
	return a, nil
}

func (p *searchParser) stringArg() (string, error) {
	a, err := p.next()
	if err != nil {
		return "", err
	}
	s, ok := a.astring()
	if !ok {
		return "", fmt.Errorf("expected a string, got %s", a.String())
	}
	return s, nil
}

func (p *searchParser) dateArg() (time.Time, error) {
	s, err := p.stringArg()
	if err != nil {
		return time.Time{}, err
	}
	d, err := time.Parse("2-Jan-2006", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid date %q (want e.g. 5-Jan-2026)", s)
	}
	return d, nil
}

func (p *searchParser) numberArg() (int64, error) {
	s, err := p.stringArg()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	return int64(n), nil
}

// flagKey matches messages that have (or, with without, lack) a flag.
func hasFlagKey(flag string, without bool) searchKey {
	return func(c *candidate) bool { return c.msg.HasFlag(flag) != without }
}

func (p *searchParser) key() (searchKey, error) {
	a, err := p.next()
	if err != nil {
		return nil, err
	}
	if a.kind == argList {
		if p.depth++; p.depth > maxListDepth {
			return nil, errors.New("criteria nested too deeply")
		}
		defer func() { p.depth-- }()
		if len(a.list) == 0 {
			return nil, errors.New("empty parenthesised criteria")
		}
		return p.keys(a.list)
	}
	if a.kind != argAtom {
		return nil, fmt.Errorf("unexpected string %s", a.String())
	}
	word := strings.ToUpper(a.text)
	switch word {
	case "ALL":
		return func(*candidate) bool { return true }, nil
	case "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "SEEN":
		return hasFlagKey(`\`+word[:1]+strings.ToLower(word[1:]), false), nil
	case "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNSEEN":
		return hasFlagKey(`\`+word[2:3]+strings.ToLower(word[3:]), true), nil
	case "KEYWORD", "UNKEYWORD":
		kw, err := p.stringArg()
		if err != nil {
			return nil, err
		}
		return hasFlagKey(kw, word == "UNKEYWORD"), nil
	case "RECENT":
		return func(c *candidate) bool { return c.recent }, nil
	case "OLD":
		return func(c *candidate) bool { return !c.recent }, nil
	case "NEW":
		return func(c *candidate) bool { return c.recent && !c.msg.HasFlag(`\Seen`) }, nil
	case "NOT":
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		return func(c *candidate) bool { return !k(c) }, nil
	case "OR":
		k1, err := p.key()
		if err != nil {
			return nil, err
		}
		k2, err := p.key()
		if err != nil {
			return nil, err
		}
		return func(c *candidate) bool { return k1(c) || k2(c) }, nil
	case "FROM", "TO", "CC", "BCC", "SUBJECT":
		needle, err := p.stringArg()
		if err != nil {
			return nil, err
		}
		field := word[:1] + strings.ToLower(word[1:])
		if word == "SUBJECT" {
			return func(c *candidate) bool { return headerContains(c.entity(), field, needle) }, nil
		}
		return func(c *candidate) bool { return addressContains(c.entity(), field, needle) }, nil
	case "HEADER":
		field, err := p.stringArg()
		if err != nil {
			return nil, err
		}
		needle, err := p.stringArg()
		if err != nil {
			return nil, err
		}
		return func(c *candidate) bool { return headerContains(c.entity(), field, needle) }, nil
	case "BODY":
		needle, err := p.stringArg()
		if err != nil {
			return nil, err
		}
		return func(c *candidate) bool { return containsFold(string(c.entity().body), needle) }, nil
	case "TEXT":
		needle, err := p.stringArg()
		if err != nil {
			return nil, err
		}
		return func(c *candidate) bool { return containsFold(string(c.msg.Data), needle) }, nil
	case "BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE":
		d, err := p.dateArg()
		if err != nil {
			return nil, err
		}
		sent := strings.HasPrefix(word, "SENT")
		cmp := strings.TrimPrefix(word, "SENT")
		return func(c *candidate) bool {
			t := c.msg.InternalDate
			if sent {
				parsed, err := mail.ParseDate(c.entity().get("Date"))
				if err != nil {
					return false
				}
				t = parsed
			}
			day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			switch cmp {
			case "BEFORE":
				return day.Before(d)
			case "ON":
				return day.Equal(d)
			}
			return !day.Before(d)
		}, nil
	case "LARGER", "SMALLER":
		n, err := p.numberArg()
		if err != nil {
			return nil, err
		}
		if word == "LARGER" {
			return func(c *candidate) bool { return int64(c.msg.Size()) > n }, nil
		}
		return func(c *candidate) bool { return int64(c.msg.Size()) < n }, nil
	case "UID":
		text, err := p.stringArg()
		if err != nil {
			return nil, err
		}
		set, err := parseSeqSet(text)
		if err != nil {
			return nil, err
		}
		return func(c *candidate) bool { return set.contains(c.msg.UID, p.maxUID) }, nil
	}
	set, err := parseSeqSet(a.text)
	if err != nil {
		return nil, fmt.Errorf("unknown search key %s", a.text)
	}
	return func(c *candidate) bool { return set.contains(c.seq, p.maxSeq) }, nil
}

// headerContains matches a field's raw text or its RFC 2047 decoding,
// case-insensitively. An empty needle matches any message with the field.
func headerContains(e *entity, field, needle string) bool {
	found := false
	for _, f := range e.fields {
		if !strings.EqualFold(f.name, field) {
			continue
		}
		found = true
		if containsFold(f.value, needle) {
			return true
		}
		if decoded, err := new(mime.WordDecoder).DecodeHeader(f.value); err == nil && containsFold(decoded, needle) {
			return true
		}
	}
	return found && needle == ""
}

func containsFold(haystack, needle string) bool {
	return strings.Contains(strings.ToLower(haystack), strings.ToLower(needle))
}

func (s *session) cmdSearch(cmd command) result {
	msgs, _, err := s.snapshot()
	if err != nil {
		return tagNO("Mailbox is gone.")
	}
	var maxUID uint32
	if n := len(s.sel.uids); n > 0 {
		maxUID = s.sel.uids[n-1]
	}
	match, err := parseSearch(cmd.args, uint32(len(s.sel.uids)), maxUID)
	if errors.Is(err, errBadCharset) {
		return tagNO("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset.")
	}
	if err != nil {
		return tagBAD("Invalid search criteria: " + err.Error() + ".")
	}
	var hits []string
	for i, uid := range s.sel.uids {
		m := msgs[uid]
		if m == nil {
			continue
		}
		c := &candidate{seq: uint32(i + 1), msg: m, recent: s.sel.recent[uid]}
		if match(c) {
			if cmd.uid {
				hits = append(hits, strconv.FormatUint(uint64(uid), 10))
			} else {
				hits = append(hits, strconv.Itoa(i+1))
			}
		}
	}
	s.untagged(strings.TrimSpace("SEARCH " + strings.Join(hits, " ")))
	return tagOK("Search completed.")
}
