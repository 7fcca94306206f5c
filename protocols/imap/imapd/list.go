package imapd

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/wirebook/wirebook/protocols/mailstore"
)

// hierarchyDelimiter separates levels of mailbox names ("Work/2026").
const hierarchyDelimiter = mailstore.HierarchyDelimiter

// listOptions are the selection and return options of an extended LIST
// (RFC 5258, with RFC 5819's STATUS return option).
type listOptions struct {
	extended       bool // the command used the RFC 5258 syntax
	subscribed     bool // SUBSCRIBED selection
	recursiveMatch bool
	returnSubs     bool  // RETURN (SUBSCRIBED), implied by the selection
	returnChildren bool  // RETURN (CHILDREN)
	status         []arg // RETURN (STATUS (...)) items; nil for none
	specialUse     bool  // SPECIAL-USE selection: this server has none
}

// listEntry is one name LIST may show: a mailbox, or a level of the
// hierarchy that exists only because a mailbox below it does.
type listEntry struct {
	info       mailstore.MailboxInfo
	exists     bool
	subscribed bool
	children   bool
}

func (s *session) cmdList(cmd command) result {
	usage := cmd.name + ` reference pattern, e.g. ` + cmd.name + ` "" *`
	var opts listOptions
	args := cmd.args
	if cmd.name == "LIST" {
		var err error
		if args, err = opts.parse(args); err != nil {
			return tagBAD(err.Error())
		}
	}
	if len(args) != 2 {
		return tagBAD("Expected " + usage + ".")
	}
	ref, ok := args[0].astring()
	var patterns []string
	if args[1].kind == argList && opts.extended {
		for _, a := range args[1].list {
			p, ok := a.astring()
			if !ok {
				return tagBAD("Expected " + usage + ".")
			}
			patterns = append(patterns, p)
		}
	} else if p, ok2 := args[1].astring(); ok2 {
		patterns = []string{p}
	}
	if !ok || len(patterns) == 0 {
		return tagBAD("Expected " + usage + ".")
	}
	done := tagOK(strings.ToUpper(cmd.name[:1]) + strings.ToLower(cmd.name[1:]) + " completed.")
	if len(patterns) == 1 && patterns[0] == "" {
		if cmd.name == "LIST" {
			s.untagged(`LIST (\Noselect) "` + hierarchyDelimiter + `" ""`)
		}
		return done
	}
	boxes, err := s.store.Mailboxes(s.user)
	if err != nil {
		return tagNO("Can't list mailboxes.")
	}
	matches := func(name string) bool {
		for _, p := range patterns {
			full := ref + p
			if name == "INBOX" {
				full = strings.ToUpper(full)
			}
			if matchPattern(full, name) {
				return true
			}
		}
		return false
	}
	onlySubscribed := cmd.name == "LSUB" || opts.subscribed
	for _, e := range listEntries(boxes) {
		name := e.info.Name
		if !matches(name) || opts.specialUse {
			continue
		}
		// A parent that is listed only because a subscribed mailbox
		// below it is hidden by a '%' (RFC 3501 6.3.9, RFC 5258 3.5).
		childInfo := onlySubscribed && !e.subscribed && hasHiddenSubscribedChild(boxes, name, matches)
		if onlySubscribed && !e.subscribed && !childInfo {
			continue
		}
		if childInfo && cmd.name == "LIST" && !opts.recursiveMatch {
			continue
		}
		var attrs []string
		switch {
		case !e.exists && opts.extended:
			attrs = append(attrs, `\NonExistent`)
		case !e.exists || (childInfo && cmd.name == "LSUB"):
			attrs = append(attrs, `\Noselect`)
		}
		// An extended LIST shows children only when asked (RETURN
		// (CHILDREN)), as Dovecot does; a plain one always (CHILDREN).
		if cmd.name == "LIST" && (!opts.extended || opts.returnChildren) {
			if e.children {
				attrs = append(attrs, `\HasChildren`)
			} else {
				attrs = append(attrs, `\HasNoChildren`)
			}
		}
		if cmd.name == "LIST" && e.subscribed && opts.returnSubs {
			attrs = append(attrs, `\Subscribed`)
		}
		var line bytes.Buffer
		line.WriteString(cmd.name + " (" + strings.Join(attrs, " ") + `) "` + hierarchyDelimiter + `" `)
		writeAString(&line, name)
		if childInfo && cmd.name == "LIST" {
			line.WriteString(` (CHILDINFO ("SUBSCRIBED"))`)
		}
		s.untagged(line.String())
		if opts.status != nil && e.exists {
			s.writeStatus(e.info, opts.status)
		}
	}
	return done
}

// listEntries returns the mailboxes and the hierarchy levels above them
// that are not mailboxes themselves, INBOX first, then by name.
func listEntries(boxes []mailstore.MailboxInfo) []listEntry {
	byName := map[string]*listEntry{}
	var out []*listEntry
	for _, mb := range boxes {
		e := &listEntry{info: mb, exists: true, subscribed: mb.Subscribed}
		byName[mb.Name] = e
		out = append(out, e)
	}
	for _, mb := range boxes {
		name := mb.Name
		for {
			i := strings.LastIndex(name, hierarchyDelimiter)
			if i <= 0 {
				break
			}
			name = name[:i]
			parent := byName[name]
			if parent == nil {
				parent = &listEntry{info: mailstore.MailboxInfo{Name: name}}
				byName[name] = parent
				out = append(out, parent)
			}
			parent.children = true
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].info.Name, out[j].info.Name
		if (a == "INBOX") != (b == "INBOX") {
			return a == "INBOX"
		}
		return a < b
	})
	entries := make([]listEntry, len(out))
	for i, e := range out {
		entries[i] = *e
	}
	return entries
}

// hasHiddenSubscribedChild reports whether a subscribed mailbox below
// name fails to match the pattern, so that name must stand in for it.
func hasHiddenSubscribedChild(boxes []mailstore.MailboxInfo, name string, matches func(string) bool) bool {
	for _, mb := range boxes {
		if mb.Subscribed && strings.HasPrefix(mb.Name, name+hierarchyDelimiter) && !matches(mb.Name) {
			return true
		}
	}
	return false
}

// parse reads the RFC 5258 parts of a LIST command and returns the
// reference and pattern arguments that are left.
func (o *listOptions) parse(args []arg) ([]arg, error) {
	if len(args) > 0 && args[0].kind == argList {
		o.extended = true
		for _, a := range args[0].list {
			switch {
			case a.isAtom("SUBSCRIBED"):
				o.subscribed, o.returnSubs = true, true
			case a.isAtom("REMOTE"):
				// No remote mailboxes here: nothing to add.
			case a.isAtom("RECURSIVEMATCH"):
				o.recursiveMatch = true
			case a.isAtom("SPECIAL-USE"):
				o.specialUse = true
			default:
				return nil, fmt.Errorf("Unknown LIST selection option %s.", a.String())
			}
		}
		if o.recursiveMatch && !o.subscribed {
			return nil, fmt.Errorf("RECURSIVEMATCH needs another selection option such as SUBSCRIBED.")
		}
		args = args[1:]
	}
	if len(args) == 4 && args[2].isAtom("RETURN") && args[3].kind == argList {
		o.extended = true
		opts := args[3].list
		for i := 0; i < len(opts); i++ {
			a := opts[i]
			switch {
			case a.isAtom("SUBSCRIBED"):
				o.returnSubs = true
			case a.isAtom("CHILDREN"):
				o.returnChildren = true
			case a.isAtom("SPECIAL-USE"):
				// No mailbox has a special use.
			case a.isAtom("STATUS") && i+1 < len(opts) && opts[i+1].kind == argList && len(opts[i+1].list) > 0:
				if _, err := statusItems(mailstore.MailboxInfo{}, opts[i+1].list); err != nil {
					return nil, err
				}
				o.status = opts[i+1].list
				i++
			default:
				return nil, fmt.Errorf("Unknown LIST return option %s.", a.String())
			}
		}
		args = args[:2]
	}
	return args, nil
}

// matchPattern matches LIST wildcards: '*' matches anything, '%' anything
// but the hierarchy delimiter. Dynamic programming keeps hostile patterns
// ("*a*a*a*...") linear in name length per pattern byte.
func matchPattern(pattern, name string) bool {
	// cur[j] reports whether pattern[:i] matches name[:j].
	cur := make([]bool, len(name)+1)
	next := make([]bool, len(name)+1)
	cur[0] = true
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		for j := range next {
			next[j] = false
		}
		switch c {
		case '*', '%':
			reach := false
			for j := 0; j <= len(name); j++ {
				if cur[j] {
					reach = true
				}
				next[j] = reach
				if c == '%' && j < len(name) && name[j] == hierarchyDelimiter[0] {
					reach = false
				}
			}
		default:
			for j := 0; j < len(name); j++ {
				if cur[j] && name[j] == c {
					next[j+1] = true
				}
			}
		}
		cur, next = next, cur
	}
	return cur[len(name)]
}
