package imapd

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wirebook/wirebook/protocols/mailstore"
)

// fetchItem is one FETCH data item.
type fetchItem struct {
	name    string   // UID, FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODYSTRUCTURE, BODY, RFC822, RFC822.HEADER, RFC822.TEXT, or BODY[] for sections
	section *section // for BODY[...] and BODY.PEEK[...]
	peek    bool     // does not set \Seen
	partial bool
	start   int64
	length  int64
}

// section is the part of a message named inside BODY[...].
type section struct {
	path      []int    // part numbers, e.g. 1.2
	specifier string   // "", HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT or MIME
	fields    []string // for HEADER.FIELDS (upper case)
}

// label is the item name in the response, e.g. BODY[HEADER]<0>.
func (it fetchItem) label() string {
	if it.section == nil {
		return it.name
	}
	var b strings.Builder
	b.WriteString("BODY[")
	for i, n := range it.section.path {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
	if it.section.specifier != "" {
		if len(it.section.path) > 0 {
			b.WriteByte('.')
		}
		b.WriteString(it.section.specifier)
	}
	if it.section.fields != nil {
		b.WriteString(" (" + strings.Join(it.section.fields, " ") + ")")
	}
	b.WriteByte(']')
	if it.partial {
		b.WriteString("<" + strconv.FormatInt(it.start, 10) + ">")
	}
	return b.String()
}

// setsSeen reports whether fetching the item marks the message \Seen.
func (it fetchItem) setsSeen() bool {
	return (it.section != nil && !it.peek) || it.name == "RFC822" || it.name == "RFC822.TEXT"
}

// parseFetchItems reads the item list of FETCH: a macro, one item, or a
// parenthesised list of items.
func parseFetchItems(a arg) ([]fetchItem, error) {
	if a.kind == argAtom {
		switch strings.ToUpper(a.text) {
		case "ALL":
			return simpleItems("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"), nil
		case "FAST":
			return simpleItems("FLAGS", "INTERNALDATE", "RFC822.SIZE"), nil
		case "FULL":
			return simpleItems("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"), nil
		}
		it, err := parseFetchItem(a.text)
		if err != nil {
			return nil, err
		}
		return []fetchItem{it}, nil
	}
	if a.kind != argList || len(a.list) == 0 {
		return nil, errors.New("expected data items, e.g. (FLAGS BODY.PEEK[HEADER])")
	}
	var items []fetchItem
	for _, x := range a.list {
		if x.kind != argAtom {
			return nil, fmt.Errorf("unknown data item %s", x.String())
		}
		it, err := parseFetchItem(x.text)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

func simpleItems(names ...string) []fetchItem {
	items := make([]fetchItem, len(names))
	for i, n := range names {
		items[i] = fetchItem{name: n}
	}
	return items
}

func parseFetchItem(text string) (fetchItem, error) {
	upper := strings.ToUpper(text)
	switch upper {
	case "UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", "BODY", "RFC822", "RFC822.HEADER", "RFC822.TEXT":
		return fetchItem{name: upper}, nil
	}
	var it fetchItem
	rest := ""
	switch {
	case strings.HasPrefix(upper, "BODY.PEEK["):
		it.peek, rest = true, text[len("BODY.PEEK["):]
	case strings.HasPrefix(upper, "BODY["):
		rest = text[len("BODY["):]
	default:
		return it, fmt.Errorf("unknown data item %s", text)
	}
	it.name = "BODY[]"
	inner, after, found := strings.Cut(rest, "]")
	if !found {
		return it, errors.New("missing ']'")
	}
	sec, err := parseSection(inner)
	if err != nil {
		return it, err
	}
	it.section = sec
	if after != "" {
		if !strings.HasPrefix(after, "<") || !strings.HasSuffix(after, ">") {
			return it, fmt.Errorf("unexpected %q after section", after)
		}
		startText, lengthText, ok := strings.Cut(after[1:len(after)-1], ".")
		start, err1 := strconv.ParseInt(startText, 10, 32)
		length, err2 := strconv.ParseInt(lengthText, 10, 32)
		if !ok || err1 != nil || err2 != nil || start < 0 || length <= 0 {
			return it, fmt.Errorf("invalid partial %s (want <start.length>)", after)
		}
		it.partial, it.start, it.length = true, start, length
	}
	return it, nil
}

// parseSection reads what is inside BODY[...]: "1.2", "HEADER",
// "2.HEADER.FIELDS (FROM TO)", "1.MIME" and so on.
func parseSection(text string) (*section, error) {
	sec := &section{}
	spec, fieldList, hasList := strings.Cut(text, " ")
	parts := strings.Split(spec, ".")
	if spec == "" {
		parts = nil
	}
	for len(parts) > 0 {
		n, err := strconv.Atoi(parts[0])
		if err != nil {
			break
		}
		if n <= 0 || len(sec.path) >= maxMIMEDepth {
			return nil, fmt.Errorf("invalid section part %q", parts[0])
		}
		sec.path = append(sec.path, n)
		parts = parts[1:]
	}
	sec.specifier = strings.ToUpper(strings.Join(parts, "."))
	switch sec.specifier {
	case "", "HEADER", "TEXT":
	case "MIME":
		if len(sec.path) == 0 {
			return nil, errors.New("MIME needs a part number, e.g. BODY[1.MIME]")
		}
	case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
		if !hasList {
			return nil, fmt.Errorf("%s needs a list of field names", sec.specifier)
		}
		p := &parser{buf: []byte(fieldList)}
		list, err := p.arg(0)
		if err != nil || list.kind != argList || len(list.list) == 0 || p.pos != len(p.buf) {
			return nil, fmt.Errorf("%s needs a list of field names", sec.specifier)
		}
		sec.fields = []string{}
		for _, f := range list.list {
			name, ok := f.astring()
			if !ok || name == "" {
				return nil, fmt.Errorf("invalid header field name %s", f.String())
			}
			sec.fields = append(sec.fields, strings.ToUpper(name))
		}
		return sec, nil
	default:
		return nil, fmt.Errorf("unknown section %q", text)
	}
	if hasList {
		return nil, fmt.Errorf("unknown section %q", text)
	}
	return sec, nil
}

// data returns the octets a section names. Parts that do not exist give
// an empty string, as Dovecot does.
func (sec *section) data(root *entity, raw []byte) []byte {
	if len(sec.path) == 0 && sec.specifier == "" {
		return raw
	}
	cur := root
	for i, n := range sec.path {
		container := cur
		if i > 0 && cur.message != nil {
			container = cur.message
		}
		switch {
		case container.typ == "multipart" && len(container.children) > 0:
			if n > len(container.children) {
				return nil
			}
			cur = container.children[n-1]
		case n == 1 && (i == 0 || container != cur):
			cur = container
		default:
			return nil
		}
	}
	switch sec.specifier {
	case "":
		return cur.body
	case "MIME":
		return cur.header
	}
	msg := cur
	if len(sec.path) > 0 {
		if msg = cur.message; msg == nil {
			return nil
		}
	}
	switch sec.specifier {
	case "HEADER":
		return msg.header
	case "TEXT":
		return msg.body
	}
	return filterHeader(msg.header, sec.fields, sec.specifier == "HEADER.FIELDS.NOT")
}

// filterHeader keeps (or, with exclude, drops) the named fields, in
// message order, and ends with the empty line.
func filterHeader(header []byte, names []string, exclude bool) []byte {
	var b bytes.Buffer
	for _, line := range headerLines(header) {
		name, _, _ := strings.Cut(line, ":")
		wanted := false
		for _, n := range names {
			if strings.EqualFold(strings.TrimSpace(name), n) {
				wanted = true
			}
		}
		if wanted != exclude {
			b.WriteString(line)
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func (s *session) cmdFetch(cmd command) result {
	usage := cmd.fullName() + " set items"
	if len(cmd.args) != 2 || cmd.args[0].kind != argAtom {
		return tagBAD("Expected " + usage + ", e.g. FETCH 1:* (FLAGS UID).")
	}
	items, err := parseFetchItems(cmd.args[1])
	if err != nil {
		return tagBAD("Invalid fetch items: " + err.Error() + ".")
	}
	idx, err := s.resolve(cmd.args[0].text, cmd.uid)
	if err != nil {
		return tagBAD("Invalid messageset.")
	}
	if cmd.uid && !hasItem(items, "UID") {
		items = append([]fetchItem{{name: "UID"}}, items...)
	}
	seen := false
	for _, it := range items {
		seen = seen || it.setsSeen()
	}
	msgs, info, err := s.snapshot()
	if err != nil {
		return tagNO("Mailbox is gone.")
	}
	s.announceKeywords(info.Keywords)
	missing := false
	for _, i := range idx {
		uid := s.sel.uids[i]
		m := msgs[uid]
		if m == nil {
			missing = true // expunged elsewhere, not yet reported
			continue
		}
		lineItems := items
		if seen && !s.sel.readOnly && !m.HasFlag(`\Seen`) {
			if updated, err := s.store.UpdateFlags(s.user, s.sel.name, []uint32{uid}, mailstore.AddFlags, []string{`\Seen`}); err == nil && updated[uid] != nil {
				m.Flags = updated[uid]
				s.sel.flags[uid] = flagKey(m.Flags)
				if !hasItem(items, "FLAGS") {
					lineItems = insertFlags(items)
				}
			}
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "* %d FETCH (", i+1)
		s.writeFetchItems(&b, lineItems, m)
		b.WriteString(")\r\n")
		s.w.Write(b.Bytes())
	}
	if missing {
		return tagNO("[EXPUNGEISSUED] Some of the requested messages no longer exist.")
	}
	return tagOK("Fetch completed.")
}

func hasItem(items []fetchItem, name string) bool {
	for _, it := range items {
		if it.name == name && it.section == nil {
			return true
		}
	}
	return false
}

// insertFlags puts FLAGS after a leading UID, so that a fetch which set
// \Seen tells the client the new flags.
func insertFlags(items []fetchItem) []fetchItem {
	out := make([]fetchItem, 0, len(items)+1)
	at := 0
	if len(items) > 0 && items[0].name == "UID" {
		out, at = append(out, items[0]), 1
	}
	out = append(out, fetchItem{name: "FLAGS"})
	return append(out, items[at:]...)
}

func (s *session) writeFetchItems(b *bytes.Buffer, items []fetchItem, m *mailstore.Message) {
	var root *entity
	parsed := func() *entity {
		if root == nil {
			root = parseEntity(m.Data, "text/plain", 0)
		}
		return root
	}
	for i, it := range items {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(it.label() + " ")
		switch it.name {
		case "UID":
			b.WriteString(strconv.FormatUint(uint64(m.UID), 10))
		case "FLAGS":
			b.WriteString(s.flagList(m.UID, m.Flags))
		case "INTERNALDATE":
			b.WriteString(`"` + m.InternalDate.Format("02-Jan-2006 15:04:05 -0700") + `"`)
		case "RFC822.SIZE":
			b.WriteString(strconv.Itoa(m.Size()))
		case "ENVELOPE":
			parsed().envelope(b)
		case "BODYSTRUCTURE":
			parsed().bodyStructure(b, true)
		case "BODY":
			parsed().bodyStructure(b, false)
		case "RFC822":
			writeLiteral(b, m.Data)
		case "RFC822.HEADER":
			writeLiteral(b, parsed().header)
		case "RFC822.TEXT":
			writeLiteral(b, parsed().body)
		default:
			data := it.section.data(parsed(), m.Data)
			if it.partial {
				start := min(it.start, int64(len(data)))
				end := min(start+it.length, int64(len(data)))
				data = data[start:end]
			}
			writeLiteral(b, data)
		}
	}
}

func (s *session) cmdStore(cmd command) result {
	usage := cmd.fullName() + " set [+|-]FLAGS[.SILENT] (flags)"
	if len(cmd.args) < 3 || cmd.args[0].kind != argAtom || cmd.args[1].kind != argAtom {
		return tagBAD("Expected " + usage + ".")
	}
	var op mailstore.FlagOp
	item := strings.ToUpper(cmd.args[1].text)
	switch {
	case strings.HasPrefix(item, "+"):
		op, item = mailstore.AddFlags, item[1:]
	case strings.HasPrefix(item, "-"):
		op, item = mailstore.RemoveFlags, item[1:]
	default:
		op = mailstore.ReplaceFlags
	}
	silent := item == "FLAGS.SILENT"
	if item != "FLAGS" && !silent {
		return tagBAD("Expected " + usage + ".")
	}
	flagArgs := cmd.args[2:]
	if len(flagArgs) == 1 && flagArgs[0].kind == argList {
		flagArgs = flagArgs[0].list
	}
	flags, err := parseFlags(flagArgs)
	if err != nil {
		return tagBAD("Invalid flags: " + err.Error() + ".")
	}
	idx, err := s.resolve(cmd.args[0].text, cmd.uid)
	if err != nil {
		return tagBAD("Invalid messageset.")
	}
	if s.sel.readOnly {
		// Dovecot accepts the command and changes nothing; RFC 3501 would
		// also allow a NO, but the course's real server says OK.
		return tagOK("Store ignored: the mailbox is read-only (EXAMINE); SELECT it to change flags.")
	}
	uids := make([]uint32, len(idx))
	for i, n := range idx {
		uids[i] = s.sel.uids[n]
	}
	if info, err := s.store.Status(s.user, s.sel.name); err == nil && op != mailstore.RemoveFlags {
		if why := keywordLimit(info.Keywords, flags); why != "" {
			return tagNO(why)
		}
	}
	updated, err := s.store.UpdateFlags(s.user, s.sel.name, uids, op, flags)
	if err != nil {
		return tagNO("Mailbox is gone.")
	}
	if info, err := s.store.Status(s.user, s.sel.name); err == nil {
		s.announceKeywords(info.Keywords) // a new keyword before the FETCH that shows it
	}
	for _, n := range idx {
		uid := s.sel.uids[n]
		newFlags, ok := updated[uid]
		if !ok {
			continue
		}
		s.sel.flags[uid] = flagKey(newFlags)
		if silent {
			continue
		}
		if cmd.uid {
			s.untagged(fmt.Sprintf("%d FETCH (UID %d FLAGS %s)", n+1, uid, s.flagList(uid, newFlags)))
		} else {
			s.untagged(fmt.Sprintf("%d FETCH (FLAGS %s)", n+1, s.flagList(uid, newFlags)))
		}
	}
	return tagOK("Store completed.")
}
