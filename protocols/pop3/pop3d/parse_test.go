package pop3d

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line string
		want command
	}{
		{"STAT", command{Verb: "STAT"}},
		{"list 2", command{Verb: "LIST", Args: []string{"2"}, Rest: "2"}},
		{"TOP 1  10", command{Verb: "TOP", Args: []string{"1", "10"}, Rest: "1  10"}},
		{"PASS two words", command{Verb: "PASS", Args: []string{"two", "words"}, Rest: "two words"}},
		{"", command{}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got := parseCommand(tt.line)
			if got.Verb != tt.want.Verb || got.Rest != tt.want.Rest || !slices.Equal(got.Args, tt.want.Args) {
				t.Errorf("parseCommand(%q) = %+v, want %+v", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"1", 1, true}, {"007", 7, true}, {"", 0, false}, {"-1", 0, false}, {"+1", 0, false},
		{"1x", 0, false}, {"9999999999", 0, false}, {"١", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseNumber(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseNumber(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDotStuff(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		maxBody int
		want    string
	}{
		{"plain", "A: b\r\n\r\nbody\r\n", -1, "A: b\r\n\r\nbody\r\n"},
		{"leading dots doubled", ".\r\n..x\r\n", -1, "..\r\n...x\r\n"},
		{"bare LF repaired", "A: b\n\nbody\n", -1, "A: b\r\n\r\nbody\r\n"},
		{"missing last line end", "A: b\r\n\r\nbody", -1, "A: b\r\n\r\nbody\r\n"},
		{"TOP 0", "A: b\r\n\r\n1\r\n2\r\n", 0, "A: b\r\n\r\n"},
		{"TOP 1", "A: b\r\n\r\n.1\r\n2\r\n", 1, "A: b\r\n\r\n..1\r\n"},
		{"TOP past the end", "A: b\r\n\r\n1\r\n", 5, "A: b\r\n\r\n1\r\n"},
		{"empty", "", -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			dotStuff(&buf, []byte(tt.data), tt.maxBody)
			if got := buf.String(); got != tt.want {
				t.Errorf("dotStuff(%q, %d) = %q, want %q", tt.data, tt.maxBody, got, tt.want)
			}
		})
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"STAT", "list 2", "TOP 1 10", "PASS a b", "", " ", "AUTH PLAIN =", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c := parseCommand(line)
		if c.Verb != strings.ToUpper(c.Verb) || strings.Contains(c.Verb, " ") {
			t.Errorf("parseCommand(%q).Verb = %q, want one upper-cased word", line, c.Verb)
		}
		for _, a := range c.Args {
			if a == "" || strings.ContainsAny(a, " \t") {
				t.Errorf("parseCommand(%q) has argument %q", line, a)
			}
		}
		if p := printable(line); strings.ContainsAny(p, "\r\n") {
			t.Errorf("printable(%q) = %q keeps a line end", line, p)
		}
	})
}

// FuzzSession feeds arbitrary client bytes to a whole session and checks
// every reply line is well formed: CRLF-terminated, bounded.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"USER alice\r\nPASS alice-pw\r\nSTAT\r\nLIST\r\nRETR 2\r\nTOP 2 1\r\nDELE 1\r\nRSET\r\nQUIT\r\n",
		"AUTH PLAIN\r\nAGFsaWNlAGFsaWNlLXB3\r\nUIDL\r\nQUIT\r\n",
		"CAPA\nSTLS\nAPOP x y\n\r\n",
		strings.Repeat("x", 600) + "\r\nNOOP\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		srv := New(Config{Store: newStore(t), MaxLine: 128})
		conn := &scriptedConn{in: bytes.NewReader(input)}
		newSession(srv, conn).serve()
		out := conn.out.Bytes()
		r := bufio.NewReader(bytes.NewReader(out))
		for {
			line, err := r.ReadString('\n')
			if err == io.EOF {
				if line != "" {
					t.Fatalf("reply %q does not end in a line end", line)
				}
				return
			}
			if !strings.HasSuffix(line, "\r\n") || strings.Contains(strings.TrimSuffix(line, "\r\n"), "\r") {
				t.Fatalf("reply line %q is not CRLF-terminated text", line)
			}
		}
	})
}

// scriptedConn is a net.Conn whose client sent input and then hung up.
type scriptedConn struct {
	net.Conn // unused methods panic
	in       *bytes.Reader
	out      bytes.Buffer
}

func (c *scriptedConn) Read(p []byte) (int, error)       { return c.in.Read(p) }
func (c *scriptedConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *scriptedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptedConn) SetWriteDeadline(time.Time) error { return nil }
