package imapd

// Small extensions that real clients (go-imap v2, mutt, Thunderbird) use:
// NAMESPACE (RFC 2342), UNSELECT (RFC 3691), ID (RFC 2971), ENABLE (RFC
// 5161), UNAUTHENTICATE (RFC 8437). MOVE (RFC 6851) shares cmdCopy.

func (s *session) cmdNamespace(cmd command) result {
	if r, ok := wantArgs(cmd, 0, "no arguments"); !ok {
		return r
	}
	// One personal namespace, no prefix; nothing shared or public.
	s.untagged(`NAMESPACE (("" "` + hierarchyDelimiter + `")) NIL NIL`)
	return tagOK("Namespace completed.")
}

func (s *session) cmdUnselect(cmd command) result {
	if r, ok := wantArgs(cmd, 0, "no arguments"); !ok {
		return r
	}
	s.sel, s.state = nil, stateAuth // unlike CLOSE, nothing is expunged
	return tagOK("Unselect completed.")
}

// maxIDPairs bounds the client's ID list; RFC 2971 allows 30 fields.
const maxIDPairs = 30

func (s *session) cmdID(cmd command) result {
	usage := `ID NIL or ID ("name" "value" ...)`
	if r, ok := wantArgs(cmd, 1, usage); !ok {
		return r
	}
	a := cmd.args[0]
	switch {
	case a.isAtom("NIL"):
	case a.kind == argList && len(a.list)%2 == 0 && len(a.list) <= 2*maxIDPairs:
		for i, x := range a.list {
			if !x.isString() && !(i%2 == 1 && x.isAtom("NIL")) {
				return tagBAD("Expected " + usage + ".")
			}
		}
	default:
		return tagBAD("Expected " + usage + ".")
	}
	// No version: transcripts must not change with every release.
	s.untagged(`ID ("name" "wirebook" "vendor" "wirebook lab servers")`)
	return tagOK("ID completed.")
}

func (s *session) cmdEnable(cmd command) result {
	if len(cmd.args) == 0 {
		return tagBAD("Expected ENABLE capability ...")
	}
	for _, a := range cmd.args {
		if a.kind != argAtom {
			return tagBAD("Expected ENABLE capability ...")
		}
	}
	// None of the extensions ENABLE turns on (CONDSTORE, QRESYNC,
	// UTF8=ACCEPT, IMAP4rev2) is offered, so none is enabled: an empty
	// ENABLED is the RFC 5161 answer.
	s.untagged("ENABLED")
	return tagOK("Enabled.")
}

func (s *session) cmdUnauthenticate(cmd command) result {
	if r, ok := wantArgs(cmd, 0, "no arguments"); !ok {
		return r
	}
	s.sel, s.user, s.state = nil, "", stateNotAuth
	return tagOK("Unauthenticate completed.")
}

// unofferedExtensions are commands of extensions this server does not
// implement. They get NO, which names the missing extension, rather than
// "Unknown command": they are valid IMAP, just not offered here.
var unofferedExtensions = map[string]string{
	"GETACL": "ACL (RFC 4314)", "SETACL": "ACL (RFC 4314)", "DELETEACL": "ACL (RFC 4314)",
	"LISTRIGHTS": "ACL (RFC 4314)", "MYRIGHTS": "ACL (RFC 4314)",
	"GETQUOTA": "QUOTA (RFC 9208)", "GETQUOTAROOT": "QUOTA (RFC 9208)", "SETQUOTA": "QUOTA (RFC 9208)",
	"GETMETADATA": "METADATA (RFC 5464)", "SETMETADATA": "METADATA (RFC 5464)",
	"SORT": "SORT (RFC 5256)", "THREAD": "THREAD (RFC 5256)",
	"COMPRESS": "COMPRESS (RFC 4978)", "NOTIFY": "NOTIFY (RFC 5465)",
}

func (s *session) cmdUnoffered(cmd command) result {
	return tagNO("[CANNOT] " + cmd.fullName() + " belongs to the " + unofferedExtensions[cmd.name] +
		" extension, which this lab server does not offer (see CAPABILITY).")
}

func init() {
	for name := range unofferedExtensions {
		commands[name] = handler{states: anyState, uid: name == "SORT" || name == "THREAD", run: (*session).cmdUnoffered}
	}
}
