package smtp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wirebook/wirebook/protocols"
)

// memConn is a connection whose server side is a fixed input.
type memConn struct{ in *bytes.Reader }

func (c *memConn) Read(p []byte) (int, error)       { return c.in.Read(p) }
func (c *memConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *memConn) Close() error                     { return nil }
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

func wireOver(input string) *protocols.Wire {
	return protocols.NewWire(&memConn{in: bytes.NewReader([]byte(input))}, nil, protocols.Limits{MaxLine: 512, MaxBytes: 1 << 16})
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		wantCode  int
		wantLines []string
		wantErr   error // nil, io.ErrUnexpectedEOF, or errProto
	}{
		{"one line", "250 2.0.0 Ok\r\n", 250, []string{"2.0.0 Ok"}, nil},
		{"bare code", "250\r\n", 250, []string{""}, nil},
		{"multi-line", "250-a\r\n250-b\r\n250 c\r\n", 250, []string{"a", "b", "c"}, nil},
		{"bare LF", "354 go\n", 354, []string{"go"}, nil},
		{"empty continuation", "334 \r\n", 334, []string{""}, nil},
		{"closed mid-reply", "250-a\r\n25", 250, []string{"a"}, io.ErrUnexpectedEOF},
		{"nothing", "", 0, nil, io.ErrUnexpectedEOF},
		{"empty line", "\r\n", 0, nil, errProto},
		{"not a code", "OK fine\r\n", 0, nil, errProto},
		{"code out of range", "199 x\r\n", 0, nil, errProto},
		{"two digits", "25 x\r\n", 0, nil, errProto},
		{"bad separator", "250_x\r\n", 0, nil, errProto},
		{"codes differ", "250-a\r\n550 b\r\n", 250, []string{"a"}, errProto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, lines, err := ReadReply(wireOver(tt.input))
			switch {
			case tt.wantErr == errProto:
				var pe *protocols.ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("ReadReply(%q) error = %v, want a ProtocolError", tt.input, err)
				}
			case !errors.Is(err, tt.wantErr):
				t.Fatalf("ReadReply(%q) error = %v, want %v", tt.input, err, tt.wantErr)
			}
			if code != tt.wantCode || strings.Join(lines, "|") != strings.Join(tt.wantLines, "|") || len(lines) != len(tt.wantLines) {
				t.Errorf("ReadReply(%q) = %d, %q; want %d, %q", tt.input, code, lines, tt.wantCode, tt.wantLines)
			}
		})
	}
}

var errProto = errors.New("protocol error")

func FuzzReadReply(f *testing.F) {
	for _, seed := range []string{
		"220 mail.example.com ESMTP\r\n",
		"250-mail.example.com\r\n250-PIPELINING\r\n250 HELP\r\n",
		"334 \r\n", "250\r\n", "250-a\r\n25", "hello\r\n", "250-a\r\n550 b\r\n",
		"354 go\n250 2.0.0 Ok: queued as Q00001\r\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		w := wireOver(input)
		for range 100 {
			code, lines, err := ReadReply(w)
			if err != nil {
				var pe *protocols.ProtocolError
				if !errors.As(err, &pe) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, protocols.ErrLimit) {
					t.Fatalf("ReadReply error %v (%T): not a protocol, EOF or limit error", err, err)
				}
				return
			}
			if code < 200 || code > 599 || len(lines) == 0 {
				t.Fatalf("ReadReply = %d, %q: want a code 200-599 and at least one line", code, lines)
			}
		}
	})
}
