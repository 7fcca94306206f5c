package imap

import (
	"testing"

	"github.com/wirebook/wirebook/protocols/internal/sessiontest"
)

// FuzzResponses feeds arbitrary server bytes to a session with literals,
// a pipelined group and IDLE: the client must neither panic nor hang, and
// must record no more server bytes than were sent.
func FuzzResponses(f *testing.F) {
	seeds := []string{
		"* OK hi\r\na1 OK\r\n",
		"* OK hi\r\n+ go\r\na1 OK appended\r\n* 1 FETCH (BODY[] {5}\r\na2 OK\r\nx)\r\na3 OK\r\na2 OK\r\n+ idling\r\na4 OK\r\n",
		"* OK {3}\r\nabc\r\n+\r\na1 NO [TOOBIG]\r\n",
		"* PREAUTH\r\n* 1 FETCH {99999999999}\r\n",
		"* BYE\r\n",
		"garbage\r\n",
		"* OK\r\n+ \r\na1 BAD\r\na9 OK\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sessiontest.FuzzRun(t, Protocol{}, script("a1 APPEND INBOX {3}", "abc", "a2 FETCH 1 BODY[]", "C+ a3 NOOP", "a4 IDLE", "DONE", "a5 LOGOUT"), data)
	})
}
