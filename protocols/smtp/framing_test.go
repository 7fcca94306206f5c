package smtp_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols"
)

// Client framing against scripted fake servers.

func TestReplySplitAcrossReads(t *testing.T) {
	addr := fakeServer(t, func(c net.Conn, r *bufio.Reader) {
		writeSplit(c, "22", "0-fake.example ESMTP\r", "\n220-second line\r\n22", "0 last\r\n")
		if line, _ := r.ReadString('\n'); line != "EHLO x\r\n" {
			return
		}
		writeSplit(c, "250-fake.example\r\n250-PIPE", "LINING\r\n", "250", "\r\n")
		if line, _ := r.ReadString('\n'); line != "QUIT\r\n" {
			return
		}
		writeSplit(c, "221 2.0.0 B", "ye\r\n")
	})
	w, err := session(t, addr, nil, false, "EHLO x", "QUIT")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkTranscript(t, w, []string{
		"S: 220-fake.example ESMTP",
		"S: 220-second line",
		"S: 220 last",
		"C: EHLO x",
		"S: 250-fake.example",
		"S: 250-PIPELINING",
		"S: 250",
		"C: QUIT",
		"S: 221 2.0.0 Bye",
		"N: connection closed by the server",
	})
}

func TestServerFaults(t *testing.T) {
	tests := []struct {
		name      string
		serve     func(c net.Conn, r *bufio.Reader)
		lines     []string
		wantErr   func(error) bool
		wantTrans []string
	}{
		{
			name: "closes mid-reply",
			serve: func(c net.Conn, r *bufio.Reader) {
				writeSplit(c, "220 fake\r\n")
				r.ReadString('\n')
				writeSplit(c, "250-fake\r\n250-PIPE")
			},
			lines:   []string{"EHLO x", "QUIT"},
			wantErr: func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) },
			wantTrans: []string{
				"S: 220 fake",
				"C: EHLO x",
				"S: 250-fake",
				"S: 250-PIPE (no line end)",
				"N: connection closed by the server",
			},
		},
		{
			name:      "malformed greeting",
			serve:     func(c net.Conn, r *bufio.Reader) { writeSplit(c, "hello there\r\n") },
			lines:     []string{"QUIT"},
			wantErr:   isProtocolError,
			wantTrans: []string{"S: hello there"},
		},
		{
			name: "code changes inside a reply",
			serve: func(c net.Conn, r *bufio.Reader) {
				writeSplit(c, "220 fake\r\n")
				r.ReadString('\n')
				writeSplit(c, "250-one\r\n251 two\r\n")
			},
			lines:     []string{"EHLO x"},
			wantErr:   isProtocolError,
			wantTrans: []string{"S: 220 fake", "C: EHLO x", "S: 250-one", "S: 251 two"},
		},
		{
			name: "code followed by junk",
			serve: func(c net.Conn, r *bufio.Reader) {
				writeSplit(c, "220 fake\r\n")
				r.ReadString('\n')
				writeSplit(c, "250:ok\r\n")
			},
			lines:     []string{"NOOP"},
			wantErr:   isProtocolError,
			wantTrans: []string{"S: 220 fake", "C: NOOP", "S: 250:ok"},
		},
		{
			name: "script ends inside AUTH",
			serve: func(c net.Conn, r *bufio.Reader) {
				writeSplit(c, "220 fake\r\n")
				r.ReadString('\n')
				writeSplit(c, "334 VXNlcm5hbWU6\r\n")
			},
			lines:     []string{"AUTH LOGIN"},
			wantErr:   func(err error) bool { return err != nil && strings.Contains(err.Error(), "334") },
			wantTrans: []string{"S: 220 fake", "C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6"},
		},
		{
			name: "script ends inside the message",
			serve: func(c net.Conn, r *bufio.Reader) {
				writeSplit(c, "220 fake\r\n")
				r.ReadString('\n')
				writeSplit(c, "354 go ahead\r\n")
				r.ReadString('\n')
			},
			lines:     []string{"DATA", "Subject: no end"},
			wantErr:   func(err error) bool { return err != nil && strings.Contains(err.Error(), `lone "."`) },
			wantTrans: []string{"S: 220 fake", "C: DATA", "S: 354 go ahead", "C: Subject: no end"},
		},
		{
			name: "STARTTLS refused: nothing more is sent",
			serve: func(c net.Conn, r *bufio.Reader) {
				writeSplit(c, "220 fake\r\n")
				r.ReadString('\n')
				writeSplit(c, "454 4.7.0 TLS not available\r\n")
				if rest, _ := io.ReadAll(r); len(rest) > 0 {
					t.Errorf("after the refusal the client sent %q", rest)
				}
			},
			lines:     []string{"STARTTLS", "AUTH PLAIN AGJvYgBzZWNyZXQ=", "QUIT"},
			wantErr:   func(err error) bool { return errors.Is(err, protocols.ErrTLSRefused) },
			wantTrans: []string{"S: 220 fake", "C: STARTTLS", "S: 454 4.7.0 TLS not available"},
		},
		{
			name: "a line pipelined after STARTTLS is refused before anything is sent",
			serve: func(c net.Conn, r *bufio.Reader) {
				writeSplit(c, "220 fake\r\n")
				if rest, _ := io.ReadAll(r); len(rest) > 0 {
					t.Errorf("the client sent %q", rest)
				}
			},
			lines:     []string{"STARTTLS", "+AUTH PLAIN AGJvYgBzZWNyZXQ="},
			wantErr:   func(err error) bool { return err != nil && strings.Contains(err.Error(), "pipelined after STARTTLS") },
			wantTrans: []string{"S: 220 fake"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fakeServer(t, tt.serve)
			w, err := session(t, addr, nil, false, tt.lines...)
			if !tt.wantErr(err) {
				t.Errorf("Run error = %v (%T), not the one wanted", err, err)
			}
			checkTranscript(t, w, tt.wantTrans)
		})
	}
}

func isProtocolError(err error) bool {
	var pe *protocols.ProtocolError
	return errors.As(err, &pe) && pe.Proto == "smtp"
}
