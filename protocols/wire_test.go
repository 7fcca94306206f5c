package protocols

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeServer accepts one connection and plays script: each entry is
// written as is, with a short pause between writes so that the client
// sees them in separate reads.
func fakeServer(t *testing.T, script ...string) string { return fakeServerOpen(t, false, script...) }

// fakeServerOpen is fakeServer that, with keepOpen, waits for the client to
// hang up instead of closing after its script.
func fakeServerOpen(t *testing.T, keepOpen bool, script ...string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for _, s := range script {
			if _, err := io.WriteString(c, s); err != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		if keepOpen {
			io.Copy(io.Discard, c)
		}
	}()
	return l.Addr().String()
}

func dial(t *testing.T, addr string, limits Limits) *Wire {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWire(c, nil, limits)
	t.Cleanup(func() { w.Close() })
	return w
}

func TestReadLineJoinsSplitReads(t *testing.T) {
	w := dial(t, fakeServer(t, "220 hel", "lo there\r", "\n250 ok\n"), Limits{})
	for _, want := range []string{"220 hello there", "250 ok"} {
		got, err := w.ReadLine()
		if err != nil || got != want {
			t.Fatalf("ReadLine = %q, %v; want %q", got, err, want)
		}
	}
	ev := w.Events()
	if len(ev) != 2 || ev[0].Text != "220 hello there" || ev[0].Kind != Server {
		t.Errorf("events = %+v", ev)
	}
}

func TestReadNCountsBytesAndKeepsPartialLines(t *testing.T) {
	w := dial(t, fakeServer(t, "* 1 FETCH (BODY[] {7}\r\n", "ab\r\n", "cd)\r\n"), Limits{})
	line, _ := w.ReadLine()
	if !strings.HasSuffix(line, "{7}") {
		t.Fatalf("line = %q", line)
	}
	data, err := w.ReadN(7, true)
	if err != nil || string(data) != "ab\r\ncd)" {
		t.Fatalf("ReadN = %q, %v", data, err)
	}
	rest, _ := w.ReadLine()
	if rest != "" {
		t.Errorf("rest of line = %q", rest)
	}
	ev := w.Events()
	texts := []string{}
	for _, e := range ev {
		texts = append(texts, e.Text)
	}
	if got := strings.Join(texts, "|"); got != "* 1 FETCH (BODY[] {7}|ab|cd)" {
		t.Errorf("recorded lines = %q", got)
	}
	if !ev[1].Payload || ev[0].Payload {
		t.Errorf("payload marks = %v %v", ev[0].Payload, ev[1].Payload)
	}
}

func TestCloseMidLineKeepsThePartialTranscript(t *testing.T) {
	w := dial(t, fakeServer(t, "250-first\r\n250 trunc"), Limits{})
	w.ReadLine()
	_, err := w.ReadLine()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
	ev := w.Events()
	last := ev[len(ev)-1]
	if ev[1].Text != "250 trunc" || !ev[1].NoEOL || last.Kind != Note || !strings.Contains(last.Text, "closed by the server") {
		t.Errorf("events = %+v", ev)
	}
}

func TestLimitsBoundWhatIsBuffered(t *testing.T) {
	long := strings.Repeat("x", 5000) + "\r\n"
	w := dial(t, fakeServer(t, long), Limits{MaxLine: 1000})
	if _, err := w.ReadLine(); !errors.Is(err, ErrLimit) {
		t.Errorf("over-long line: err = %v, want ErrLimit", err)
	}
	w2 := dial(t, fakeServer(t, "x\r\n"), Limits{MaxBytes: 1 << 20})
	if _, err := w2.ReadN(999999999999, true); !errors.Is(err, ErrLimit) {
		t.Errorf("huge literal: err = %v, want ErrLimit without reading", err)
	}
}

func TestSilentServerTimesOut(t *testing.T) {
	w := dial(t, fakeServerOpen(t, true), Limits{ReadTimeout: 50 * time.Millisecond})
	if _, err := w.ReadLine(); err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Errorf("err = %v", err)
	}
}

func TestSendRecordsDisplayNotText(t *testing.T) {
	w := dial(t, fakeServerOpen(t, true), Limits{})
	if err := w.Send(ClientLine{Text: "PASS hunter22", Display: "PASS ********", Source: 7}); err != nil {
		t.Fatal(err)
	}
	ev := w.Events()
	if ev[0].Text != "PASS ********" || ev[0].Source != 7 || ev[0].Kind != Client {
		t.Errorf("event = %+v", ev[0])
	}
}

func TestStartTLSRefusesInjectedBytes(t *testing.T) {
	w := dial(t, fakeServerOpen(t, true, "220 go ahead\r\n250 injected\r\n"), Limits{})
	w.tls = nil
	w.ReadLine()
	time.Sleep(20 * time.Millisecond)
	w.br.Peek(1) // pull the injected line into the buffer
	w.tls = &tlsConfigForTest
	if err := w.StartTLS(); err == nil || !strings.Contains(err.Error(), "after its go-ahead") {
		t.Errorf("StartTLS with buffered plaintext: %v", err)
	}
}

func TestScriptGroups(t *testing.T) {
	s := NewScript([]ClientLine{{Text: "a"}, {Text: "b", Pipelined: true}, {Text: "c", Pipelined: true}, {Text: "d"}})
	if g := s.NextGroup(); len(g) != 3 || g[2].Text != "c" {
		t.Errorf("first group = %+v", g)
	}
	if g := s.NextGroup(); len(g) != 1 || g[0].Text != "d" {
		t.Errorf("second group = %+v", g)
	}
	if s.More() || s.NextGroup() != nil {
		t.Errorf("script not exhausted")
	}
}

func TestLimitsCutTheTranscriptWithANote(t *testing.T) {
	many := strings.Repeat("250-x\r\n", 50)
	tests := []struct {
		name   string
		limits Limits
		send   string
		want   string
	}{
		{"lines", Limits{MaxLines: 10}, many, "more than 10 lines in this session (limit session_lines)"},
		{"kept bytes, per-line overhead counted", Limits{MaxBytes: 10 * (lineOverhead + 5)}, many, "counting 64 per line (limit session_bytes)"},
		{"read bytes", Limits{MaxBytes: 100}, strings.Repeat("y", 300) + "\r\n", "more than 100 bytes in this session (limit session_bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := dial(t, fakeServerOpen(t, true, tt.send), tt.limits)
			var err error
			for i := 0; i < 100 && err == nil; i++ {
				_, err = w.ReadLine()
			}
			if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
			evs := w.Events()
			last := evs[len(evs)-1]
			if last.Kind != Note || !strings.HasPrefix(last.Text, "transcript cut here: ") {
				t.Errorf("the transcript does not end with the cut note: %+v", last)
			}
			if len(evs) > 12 {
				t.Errorf("%d events kept", len(evs))
			}
		})
	}
}

func TestDeadlineCutsADrippingServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for {
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	w := dial(t, l.Addr().String(), Limits{ReadTimeout: time.Second, Deadline: time.Now().Add(200 * time.Millisecond), DeadlineName: "the block deadline (200ms)"})
	_, err = w.ReadLine()
	if !errors.Is(err, ErrDeadline) || err.Error() != "the block deadline (200ms) passed: the session was cut" {
		t.Fatalf("error %v, want the deadline", err)
	}
}

// FuzzWireLimits: whatever the server sends, reading lines under small
// limits never keeps more than the limits allow.
func FuzzWireLimits(f *testing.F) {
	f.Add([]byte("250-x\r\n250-x\r\n250 ok\r\n"), uint8(3), uint16(200))
	f.Add([]byte("* 1 FETCH (BODY[] {5}\r\nhello)\r\n"), uint8(10), uint16(64))
	f.Fuzz(func(t *testing.T, data []byte, lines uint8, bytes uint16) {
		limits := Limits{MaxLines: int(lines%20) + 1, MaxBytes: int64(bytes%4096) + 1, MaxLine: 256, MaxPayload: 512, ReadTimeout: 2 * time.Second}
		client, server := net.Pipe()
		go func() {
			server.Write(data)
			server.Close()
		}()
		w := NewWire(client, nil, limits)
		defer w.Close()
		for i := 0; i < 1000; i++ {
			if _, err := w.ReadLine(); err != nil {
				break
			}
		}
		kept, n := 0, 0
		for _, ev := range w.Events() {
			if ev.Kind == Server {
				kept += len(ev.Text)
				n++
			}
		}
		if n > limits.MaxLines+1 || int64(kept) > limits.MaxBytes+int64(limits.MaxLine)+4096 {
			t.Fatalf("kept %d lines, %d bytes under %+v", n, kept, limits)
		}
	})
}

// A bare LF is one byte on the wire, CRLF two: WireLen counts what came.
func TestLineEndsAreRecordedForByteCounts(t *testing.T) {
	w := dial(t, fakeServer(t, "200 crlf\r\nbody lf\nlast"), Limits{})
	for range 2 {
		if _, err := w.ReadLine(); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = w.ReadLine() // "last" ends without a line end
	ev := w.Events()
	if len(ev) < 3 {
		t.Fatalf("events = %+v", ev)
	}
	for i, want := range []int{len("200 crlf") + 2, len("body lf") + 1, len("last")} {
		if got := ev[i].WireLen(); got != want {
			t.Errorf("%q: WireLen %d, want %d (LF=%v NoEOL=%v)", ev[i].Text, got, want, ev[i].LF, ev[i].NoEOL)
		}
	}
}
