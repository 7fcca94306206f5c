package smtp

import (
	"fmt"

	"github.com/wirebook/wirebook/protocols"
)

// ReadReply reads one complete SMTP reply: every "NNN-text" continuation
// line and the final "NNN text" (or bare "NNN") line. It returns the reply
// code and the text of each line after the code and its separator. A line
// that is not a reply line, or a continuation whose code differs from the
// first line's, is a *protocols.ProtocolError; a connection closed mid-reply
// gives the Wire's error (io.ErrUnexpectedEOF).
func ReadReply(w *protocols.Wire) (code int, lines []string, err error) {
	for {
		raw, err := w.ReadLine()
		if err != nil {
			return code, lines, err
		}
		c, text, last, err := parseReplyLine(raw)
		if err != nil {
			return code, lines, err
		}
		if len(lines) > 0 && c != code {
			return code, lines, &protocols.ProtocolError{Proto: "smtp",
				Msg: fmt.Sprintf("reply line %q has code %d inside a %d reply", raw, c, code)}
		}
		code = c
		lines = append(lines, text)
		if last {
			return code, lines, nil
		}
	}
}

// parseReplyLine splits one reply line (RFC 5321 section 4.2): three digits,
// the first 2 to 5, then end of line, a space (last line) or a hyphen (more
// lines follow).
func parseReplyLine(raw string) (code int, text string, last bool, err error) {
	bad := func(why string) error {
		return &protocols.ProtocolError{Proto: "smtp", Msg: fmt.Sprintf("malformed reply line %q: %s", raw, why)}
	}
	if len(raw) < 3 {
		return 0, "", false, bad("shorter than a 3-digit code")
	}
	for i := 0; i < 3; i++ {
		if raw[i] < '0' || raw[i] > '9' {
			return 0, "", false, bad("no 3-digit code")
		}
	}
	if raw[0] < '2' || raw[0] > '5' {
		return 0, "", false, bad("code must start with 2, 3, 4 or 5")
	}
	code = int(raw[0]-'0')*100 + int(raw[1]-'0')*10 + int(raw[2]-'0')
	if len(raw) == 3 {
		return code, "", true, nil
	}
	switch raw[3] {
	case ' ':
		return code, raw[4:], true, nil
	case '-':
		return code, raw[4:], false, nil
	}
	return 0, "", false, bad("code not followed by a space or a hyphen")
}
