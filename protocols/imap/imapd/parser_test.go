package imapd

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in       string
		wantTag  string
		wantName string
		wantUID  bool
		wantArgs string // args rendered with arg.String, space-joined
		wantErr  string
	}{
		{in: "a1 NOOP", wantTag: "a1", wantName: "NOOP"},
		{in: `a2 login alice "pass \"word\" \\ x"`, wantTag: "a2", wantName: "LOGIN", wantArgs: `alice "pass \"word\" \\ x"`},
		{in: "a3 LOGIN {5}\r\nalice {3+}\r\npw!", wantTag: "a3", wantName: "LOGIN", wantArgs: `"alice" "pw!"`},
		{in: "a4 UID fetch 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>)", wantTag: "a4", wantName: "FETCH", wantUID: true, wantArgs: "1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>)"},
		{in: `a5 SEARCH OR (FROM "x y") NOT SEEN`, wantTag: "a5", wantName: "SEARCH", wantArgs: `OR (FROM "x y") NOT SEEN`},
		{in: `a6 LIST "" %`, wantTag: "a6", wantName: "LIST", wantArgs: `"" %`},
		{in: `a7 STORE 1 +FLAGS (\Seen \Deleted)`, wantTag: "a7", wantName: "STORE", wantArgs: `1 +FLAGS (\Seen \Deleted)`},
		{in: "a8 APPEND INBOX () {0}\r\n", wantTag: "a8", wantName: "APPEND", wantArgs: `INBOX () ""`},
		{in: "* OK", wantErr: "invalid tag"},
		{in: "+ x", wantErr: "invalid tag"},
		{in: "a9", wantTag: "a9", wantErr: "missing command"},
		{in: "b1 UID", wantTag: "b1", wantErr: "UID needs a command"},
		{in: `b2 LOGIN "open`, wantTag: "b2", wantErr: "unterminated quoted string"},
		{in: `b3 LOGIN "a\qb"`, wantTag: "b3", wantErr: `invalid escape \q`},
		{in: "b4 X (a (b)", wantTag: "b4", wantErr: "missing ')'"},
		{in: "b5 X a)", wantTag: "b5", wantErr: "unexpected ')'"},
		{in: "b6 X {10}\r\nshort", wantTag: "b6", wantErr: "literal shorter than announced"},
		{in: "b7 X  a", wantTag: "b7", wantErr: "unexpected ' '"},
		{in: "b8 X a ", wantTag: "b8", wantErr: "trailing space"},
		{in: "b9 FETCH 1 BODY[TEXT", wantTag: "b9", wantErr: "missing ']'"},
		{in: "c1 X " + strings.Repeat("(", 100) + strings.Repeat(")", 100), wantTag: "c1", wantErr: "nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cmd, err := parseCommand([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseCommand(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				if cmd.tag != tt.wantTag {
					t.Errorf("tag = %q, want %q", cmd.tag, tt.wantTag)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseCommand(%q): %v", tt.in, err)
			}
			var args []string
			for _, a := range cmd.args {
				args = append(args, a.String())
			}
			got := [4]any{cmd.tag, cmd.name, cmd.uid, strings.Join(args, " ")}
			want := [4]any{tt.wantTag, tt.wantName, tt.wantUID, tt.wantArgs}
			if got != want {
				t.Errorf("parseCommand(%q) = %v, want %v", tt.in, got, want)
			}
		})
	}
}

func TestTrailingLiteral(t *testing.T) {
	tests := []struct {
		in          string
		n           int64
		nonSync, ok bool
	}{
		{"a APPEND INBOX {12}", 12, false, true},
		{"a APPEND INBOX {12+}", 12, true, true},
		{"a APPEND INBOX {999999999999}", 999999999999, false, true},
		{"a APPEND INBOX {99999999999999999999999}", -1, false, true},
		{"a LOGIN x y", 0, false, false},
		{"a LOGIN {}", 0, false, false},
		{"a LOGIN {+}", 0, false, false},
		{"a LOGIN {1a}", 0, false, false},
		{"}", 0, false, false},
	}
	for _, tt := range tests {
		n, nonSync, ok := trailingLiteral([]byte(tt.in))
		if n != tt.n || nonSync != tt.nonSync || ok != tt.ok {
			t.Errorf("trailingLiteral(%q) = %d, %v, %v; want %d, %v, %v", tt.in, n, nonSync, ok, tt.n, tt.nonSync, tt.ok)
		}
	}
}

func TestSeqSet(t *testing.T) {
	tests := []struct {
		set      string
		star     uint32
		in, out  []uint32
		parseErr bool
	}{
		{set: "1", star: 5, in: []uint32{1}, out: []uint32{2}},
		{set: "2:4", star: 5, in: []uint32{2, 3, 4}, out: []uint32{1, 5}},
		{set: "4:2", star: 5, in: []uint32{2, 3, 4}, out: []uint32{1, 5}},
		{set: "3:*", star: 5, in: []uint32{3, 5}, out: []uint32{2}},
		{set: "*", star: 5, in: []uint32{5}, out: []uint32{4}},
		{set: "9:*", star: 5, in: []uint32{5, 7, 9}, out: []uint32{4, 10}},
		{set: "1,3,5:6", star: 9, in: []uint32{1, 3, 5, 6}, out: []uint32{2, 4, 7}},
		{set: "0", parseErr: true},
		{set: "", parseErr: true},
		{set: "1:", parseErr: true},
		{set: "a", parseErr: true},
		{set: "1,,2", parseErr: true},
		{set: "4294967296", parseErr: true},
	}
	for _, tt := range tests {
		set, err := parseSeqSet(tt.set)
		if (err != nil) != tt.parseErr {
			t.Errorf("parseSeqSet(%q) error = %v, want error %v", tt.set, err, tt.parseErr)
			continue
		}
		for _, n := range tt.in {
			if !set.contains(n, tt.star) {
				t.Errorf("%q (star %d) does not contain %d", tt.set, tt.star, n)
			}
		}
		for _, n := range tt.out {
			if set.contains(n, tt.star) {
				t.Errorf("%q (star %d) contains %d", tt.set, tt.star, n)
			}
		}
	}
}

func TestFormatUIDSet(t *testing.T) {
	tests := []struct {
		in   []uint32
		want string
	}{
		{nil, ""},
		{[]uint32{7}, "7"},
		{[]uint32{1, 2, 3, 7, 9, 10}, "1:3,7,9:10"},
	}
	for _, tt := range tests {
		if got := formatUIDSet(tt.in); got != tt.want {
			t.Errorf("formatUIDSet(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "INBOX", true},
		{"*", "Work/2026", true},
		{"%", "Work/2026", false},
		{"%", "Work", true},
		{"Work/%", "Work/2026", true},
		{"W*6", "Work/2026", true},
		{"W%6", "Work/2026", false},
		{"INBOX", "INBOX", true},
		{"Inbox", "Sent", false},
		{"", "INBOX", false},
		{strings.Repeat("*a", 200), strings.Repeat("a", 199), false},
	}
	for _, tt := range tests {
		if got := matchPattern(tt.pattern, tt.name); got != tt.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestParseSection(t *testing.T) {
	tests := []struct {
		in      string
		want    section
		wantErr bool
	}{
		{in: "", want: section{}},
		{in: "HEADER", want: section{specifier: "HEADER"}},
		{in: "text", want: section{specifier: "TEXT"}},
		{in: "1.2", want: section{path: []int{1, 2}}},
		{in: "3.MIME", want: section{path: []int{3}, specifier: "MIME"}},
		{in: "2.HEADER.FIELDS (From \"To\")", want: section{path: []int{2}, specifier: "HEADER.FIELDS", fields: []string{"FROM", "TO"}}},
		{in: "MIME", wantErr: true},
		{in: "0", wantErr: true},
		{in: "HEADER.FIELDS", wantErr: true},
		{in: "HEADER.FIELDS ()", wantErr: true},
		{in: "HEADER (FROM)", wantErr: true},
		{in: "BOGUS", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseSection(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseSection(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("parseSection(%q) = %+v, want %+v", tt.in, *got, tt.want)
		}
	}
}

func TestSplitMultipart(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"two parts", "preamble\r\n--b\r\nA\r\n--b\r\nB\r\n--b--\r\nepilogue", []string{"A", "B"}},
		{"LF line ends", "--b\nA\n--b\nB\n--b--\n", []string{"A", "B"}},
		{"empty part", "--b\r\n--b--", []string{""}},
		{"unterminated", "--b\r\nA\r\nB", []string{"A\r\nB"}},
		{"boundary prefix of a line is not a delimiter", "--b\r\n--bx\r\n--b--", []string{"--bx"}},
		{"no delimiter", "just text", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range splitMultipart([]byte(tt.body), "b") {
				got = append(got, string(p))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitMultipart(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

func TestEncapsulatedMessage(t *testing.T) {
	raw := "Subject: outer\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" +
		"--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--x\r\nContent-Type: message/rfc822\r\n\r\n" +
		"Subject: inner\r\nFrom: \"Zoë\" <z@example.com>\r\n\r\ninner body\r\n" +
		"--x--\r\n"
	root := parseEntity([]byte(raw), "text/plain", 0)
	tests := []struct{ section, want string }{
		{"2.HEADER", "Subject: inner\r\nFrom: \"Zoë\" <z@example.com>\r\n\r\n"},
		{"2.TEXT", "inner body"},
		{"2.1", "inner body"},
		{"2.HEADER.FIELDS (SUBJECT)", "Subject: inner\r\n\r\n"},
		{"1.HEADER", ""},
		{"1.1", ""},
		{"HEADER.FIELDS.NOT (CONTENT-TYPE)", "Subject: outer\r\n\r\n"},
	}
	for _, tt := range tests {
		sec, err := parseSection(tt.section)
		if err != nil {
			t.Fatalf("parseSection(%q): %v", tt.section, err)
		}
		if got := string(sec.data(root, []byte(raw))); got != tt.want {
			t.Errorf("BODY[%s] = %q, want %q", tt.section, got, tt.want)
		}
	}
	var b bytes.Buffer
	root.children[1].message.envelope(&b)
	if want := `(NIL "inner" (("=?utf-8?q?Zo=C3=AB?=" NIL "z" "example.com")) (("=?utf-8?q?Zo=C3=AB?=" NIL "z" "example.com")) (("=?utf-8?q?Zo=C3=AB?=" NIL "z" "example.com")) NIL NIL NIL NIL NIL)`; b.String() != want {
		t.Errorf("inner ENVELOPE = %s, want %s", b.String(), want)
	}
}
