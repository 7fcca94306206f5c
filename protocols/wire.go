package protocols

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// Kind says who produced a transcript line.
type Kind uint8

// Kinds of transcript lines.
const (
	Client Kind = iota + 1 // "C:" a line the client sent
	Server                 // "S:" a line the server sent
	Note                   // "N:" an event: connected, TLS, closed, error
)

// String is the line prefix letter.
func (k Kind) String() string {
	switch k {
	case Client:
		return "C"
	case Server:
		return "S"
	case Note:
		return "N"
	}
	return "?"
}

// Event is one line of a transcript, in the order it crossed the wire.
type Event struct {
	Kind    Kind
	Text    string // the line without its line end; raw bytes, unescaped
	Source  int    // Client: 1-based line of the C: line in the lab; else 0
	Payload bool   // part of a body: a message, a literal, an HTTP entity
	NoEOL   bool   // the bytes ended without a line end
	// Pipelined marks a client line written "C+": sent right behind the
	// line before, without waiting for its reply.
	Pipelined bool `json:",omitempty"`
	// LF marks a server line that ended in a bare LF, not CRLF: the
	// byte counts shown on a page count what really crossed the wire.
	LF bool `json:",omitempty"`
}

// WireLen is the line's size on the wire: its bytes and its line end
// (CRLF, a bare LF, or none for bytes that stopped without one).
func (e Event) WireLen() int {
	switch {
	case e.NoEOL:
		return len(e.Text)
	case e.LF:
		return len(e.Text) + 1
	}
	return len(e.Text) + 2
}

// Prefix is the event's mark in the lab format: "C:", "C+", "S:" or "N:".
func (e Event) Prefix() string {
	if e.Kind == Client && e.Pipelined {
		return "C+"
	}
	return e.Kind.String() + ":"
}

// Wire is a recording connection: every byte read from or written to the
// server is kept, in order, as transcript Events. Protocols frame responses
// with its Read methods; the bytes shown are the bytes that crossed the wire.
type Wire struct {
	mu       sync.Mutex
	conn     net.Conn
	br       *bufio.Reader
	limits   Limits
	tls      *tls.Config
	events   []Event
	partial  []byte // server bytes after the last line end
	partPay  bool   // the partial line started inside a payload
	read     int64
	eof      bool
	closed   bool
	kept     int64  // bytes of server lines kept, lineOverhead counted per line
	lines    int    // server lines kept
	cut      error  // set when a limit cut the transcript: nothing more is kept
	last     string // the last line ReadLine returned, for error messages
	locked   error  // set by RefuseTLS: nothing more may be sent
	Insecure bool   // TLS verification is off; said in the TLS note
	// Observe, when set, sees every event as it is recorded (live output).
	Observe func(Event)
	// BeforeSend, when set, is called before client lines are written
	// (wirebook run --step pauses there). The lines are lent for the
	// call: a protocol may reuse the slice after it.
	BeforeSend func([]ClientLine)
}

// observe reports events appended since index from.
func (w *Wire) observe(from int) {
	if w.Observe == nil {
		return
	}
	w.mu.Lock()
	evs := append([]Event(nil), w.events[from:]...)
	w.mu.Unlock()
	for _, ev := range evs {
		w.Observe(ev)
	}
}

func (w *Wire) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.events)
}

// NewWire wraps conn. tlsConfig is used by StartTLS; it may be nil when the
// session never upgrades.
func NewWire(conn net.Conn, tlsConfig *tls.Config, limits Limits) *Wire {
	limits = limits.withDefaults()
	// Room for the lines of a typical session, so the transcript does
	// not grow a line at a time.
	w := &Wire{conn: conn, limits: limits, tls: tlsConfig, events: make([]Event, 0, 32)}
	w.br = newReader(w)
	return w
}

// Read buffers come from a pool: a lab run makes a Wire per block, and its
// 4 KiB buffer was most of what a short session allocated. Close gives it
// back.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

func newReader(w *Wire) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(deadlineReader{w})
	return br
}

// releaseReader returns the Wire's read buffer to the pool and leaves in
// its place a small one over the same connection, for a read after Close.
func (w *Wire) releaseReader() {
	old := w.br
	w.br = bufio.NewReaderSize(deadlineReader{w}, 16)
	old.Reset(nil)
	readers.Put(old)
}

// deadlineReader sets a fresh read deadline before each read from the
// connection, so a silent server fails the session instead of hanging it.
type deadlineReader struct{ w *Wire }

func (d deadlineReader) Read(p []byte) (int, error) {
	_ = d.w.conn.SetReadDeadline(d.w.ioDeadline())
	return d.w.conn.Read(p)
}

// Events returns a copy of the transcript so far, with any unterminated
// server bytes as a last NoEOL line.
func (w *Wire) Events() []Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := append([]Event(nil), w.events...)
	if len(w.partial) > 0 {
		out = append(out, Event{Kind: Server, Text: string(w.partial), Payload: w.partPay, NoEOL: true})
	}
	return out
}

// Transcript is Events for a closed Wire, without the copy: the events
// themselves, which the caller may keep and change (a closed Wire records
// nothing more). Before Close it is Events.
func (w *Wire) Transcript() []Event {
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if !closed {
		return w.Events()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// Capped: a line recorded after this (there should be none) goes to a
	// new array, not into the caller's.
	w.events = w.events[:len(w.events):len(w.events)]
	return w.events
}

// Note records an event line such as "connected to mail (smtp, port 25)".
func (w *Wire) Note(format string, args ...any) {
	from := w.mark()
	w.mu.Lock()
	w.flushPartialLocked()
	w.events = append(w.events, Event{Kind: Note, Text: fmt.Sprintf(format, args...)})
	w.mu.Unlock()
	w.observe(from)
}

func (w *Wire) flushPartialLocked() {
	if len(w.partial) > 0 {
		w.events = append(w.events, Event{Kind: Server, Text: string(w.partial), Payload: w.partPay, NoEOL: true})
		w.partial = nil
	}
}

// Send writes each line followed by CRLF, in one write, and records them.
// Lines of a pipelined group are sent together this way.
func (w *Wire) Send(lines ...ClientLine) error {
	var buf bytes.Buffer
	for _, l := range lines {
		buf.WriteString(l.Text)
		buf.WriteString("\r\n")
	}
	return w.Write(buf.Bytes(), lines, false)
}

// Write sends p as it is and records shown as the client lines it carries;
// payload marks them as body lines. Protocols use it for bytes that do not
// end in CRLF, such as an HTTP body sized by Content-Length.
func (w *Wire) Write(p []byte, shown []ClientLine, payload bool) error {
	if w.BeforeSend != nil && len(shown) > 0 {
		w.BeforeSend(shown)
	}
	w.mu.Lock()
	locked := w.locked
	w.mu.Unlock()
	if locked != nil {
		return locked
	}
	from := w.mark()
	defer w.observe(from)
	w.mu.Lock()
	w.flushPartialLocked()
	for _, l := range shown {
		text := l.Display
		if text == "" && l.Text != "" && l.Display == "" {
			text = l.Text
		}
		w.events = append(w.events, Event{Kind: Client, Text: text, Source: l.Source, Payload: payload, Pipelined: l.Pipelined})
	}
	w.mu.Unlock()
	_ = w.conn.SetWriteDeadline(w.ioDeadline())
	if _, err := w.conn.Write(p); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// record appends server bytes to the transcript, cutting lines at LF and
// dropping the CR of a CRLF. Once a limit has cut the transcript it keeps
// nothing more and returns the limit's error.
func (w *Wire) record(b []byte, payload bool) error {
	_, _, err := w.recordLines(b, payload)
	return err
}

// recordLines is record, also returning the text of the last line it
// completed, and whole: that line was b's first, with no bytes kept from
// before b (its text is then b's first line, without its line end).
func (w *Wire) recordLines(b []byte, payload bool) (last string, whole bool, err error) {
	from := w.mark()
	defer w.observe(from)
	w.mu.Lock()
	defer w.mu.Unlock()
	first := true
	for len(b) > 0 && w.cut == nil {
		if len(w.partial) == 0 {
			w.partPay = payload
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			w.partial = append(w.partial, b...)
			return last, whole, nil
		}
		fresh := first && len(w.partial) == 0
		line := b[:i]
		if !fresh {
			line = append(w.partial, line...)
		}
		crlf := bytes.HasSuffix(line, []byte("\r"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if !w.keepLineLocked(len(line)) {
			break
		}
		last, whole = string(line), fresh
		w.events = append(w.events, Event{Kind: Server, Text: last, Payload: w.partPay, LF: !crlf})
		w.partial = nil
		b = b[i+1:]
		first = false
	}
	return last, whole, w.cut
}

func (w *Wire) markEOF() {
	from := w.mark()
	defer w.observe(from)
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.eof {
		w.eof = true
		w.flushPartialLocked()
		w.events = append(w.events, Event{Kind: Note, Text: "connection closed by the server"})
	}
}

// ServerClosed reports whether the server has closed the connection.
func (w *Wire) ServerClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.eof
}

// ReadLine reads one server line and returns it without its line end. A
// connection closed before the line end gives io.ErrUnexpectedEOF; a line
// longer than Limits.MaxLine gives an error wrapping ErrLimit.
func (w *Wire) ReadLine() (string, error) { return w.readLine(false) }

// ReadPayloadLine is ReadLine for a line of a body (a message, a literal).
func (w *Wire) ReadPayloadLine() (string, error) { return w.readLine(true) }

func (w *Wire) readLine(payload bool) (string, error) {
	chunk, err := w.br.ReadSlice('\n')
	if err == nil {
		return w.wholeLine(chunk, payload)
	}
	var line []byte
	for {
		if cerr := w.count(len(chunk)); cerr != nil {
			_ = w.record(chunk, payload)
			return "", cerr
		}
		line = append(line, chunk...)
		if rerr := w.record(chunk, payload); rerr != nil {
			return "", rerr
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(line) > w.limits.MaxLine {
				return "", limitErr("a server line is longer than %d bytes (limit line_bytes)", w.limits.MaxLine)
			}
			chunk, err = w.br.ReadSlice('\n')
			continue
		}
		return "", w.readErr(err, len(line))
	}
	if len(line) > w.limits.MaxLine {
		return "", limitErr("a server line is longer than %d bytes (limit line_bytes)", w.limits.MaxLine)
	}
	s := strings.TrimSuffix(string(line), "\n")
	s = strings.TrimSuffix(s, "\r")
	w.mu.Lock()
	w.last = s
	w.mu.Unlock()
	return s, nil
}

// wholeLine is readLine for the common case, a line read whole in one
// piece: its text is the one recorded (one copy, not three), unless bytes
// before it were still pending.
func (w *Wire) wholeLine(chunk []byte, payload bool) (string, error) {
	if cerr := w.count(len(chunk)); cerr != nil {
		_ = w.record(chunk, payload)
		return "", cerr
	}
	last, whole, rerr := w.recordLines(chunk, payload)
	if rerr != nil {
		return "", rerr
	}
	if len(chunk) > w.limits.MaxLine {
		return "", limitErr("a server line is longer than %d bytes (limit line_bytes)", w.limits.MaxLine)
	}
	s := last
	if !whole {
		s = strings.TrimSuffix(strings.TrimSuffix(string(chunk), "\n"), "\r")
	}
	w.mu.Lock()
	w.last = s
	w.mu.Unlock()
	return s, nil
}

// ReadN reads exactly n bytes (an IMAP literal, an HTTP body).
func (w *Wire) ReadN(n int64, payload bool) ([]byte, error) {
	if n < 0 || n > w.limits.MaxPayload {
		return nil, limitErr("the server announced a %d-byte literal or body, more than the %d-byte limit (payload_bytes)", n, w.limits.MaxPayload)
	}
	if n > w.limits.MaxBytes-w.read {
		return nil, limitErr("the server announced %d more bytes, beyond the %d-byte session limit (session_bytes)", n, w.limits.MaxBytes)
	}
	buf := make([]byte, 0, min(n, 64<<10))
	tmp := make([]byte, 32<<10)
	for int64(len(buf)) < n {
		want := min(int64(len(tmp)), n-int64(len(buf)))
		k, err := w.br.Read(tmp[:want])
		if k > 0 {
			_ = w.count(k)
			buf = append(buf, tmp[:k]...)
			if rerr := w.record(tmp[:k], payload); rerr != nil {
				return buf, rerr
			}
		}
		if err != nil {
			return buf, w.readErr(err, len(buf))
		}
	}
	return buf, nil
}

// ReadToClose reads until the server closes the connection (an HTTP body
// without a length), at most Limits.MaxPayload bytes.
func (w *Wire) ReadToClose(payload bool) ([]byte, error) {
	var buf []byte
	// Most reads to the close find nothing but the close: that needs no
	// buffer of its own.
	if w.br.Buffered() == 0 {
		if _, err := w.br.Peek(1); err != nil && w.br.Buffered() == 0 {
			if errors.Is(err, io.EOF) {
				w.markEOF()
				return nil, nil
			}
			return nil, w.readErr(err, 0)
		}
	}
	// A goodbye or a body: start small, grow for a body.
	tmp := make([]byte, 1<<10)
	for {
		k, err := w.br.Read(tmp)
		if k > 0 {
			if cerr := w.count(k); cerr != nil {
				return buf, cerr
			}
			if int64(len(buf)+k) > w.limits.MaxPayload {
				return buf, limitErr("the server sent a body of more than %d bytes (limit payload_bytes)", w.limits.MaxPayload)
			}
			buf = append(buf, tmp[:k]...)
			if rerr := w.record(tmp[:k], payload); rerr != nil {
				return buf, rerr
			}
			if k == len(tmp) && len(tmp) < 32<<10 {
				tmp = make([]byte, 4*len(tmp))
			}
		}
		if errors.Is(err, io.EOF) {
			w.markEOF()
			return buf, nil
		}
		if err != nil {
			return buf, w.readErr(err, 0)
		}
	}
}

// ExpectClose waits for the server to close the connection after a goodbye
// (SMTP QUIT, IMAP LOGOUT), recording anything it still sends. A server that
// keeps the connection open is not an error: the client closes it.
func (w *Wire) ExpectClose() {
	if w.ServerClosed() {
		return
	}
	_, _ = w.ReadToClose(false)
}

// Buffered reports how many server bytes are read but not yet consumed.
func (w *Wire) Buffered() int { return w.br.Buffered() }

// StartTLS performs a client TLS handshake over the connection (after a
// STARTTLS go-ahead, or at once for implicit TLS) and records a note with
// the version, cipher suite and certificate subject.
func (w *Wire) StartTLS() error {
	if w.tls == nil {
		return errors.New("tls: no TLS configuration for this server")
	}
	if n := w.br.Buffered(); n > 0 {
		// Bytes sent in clear before the handshake would be read as if they
		// came over TLS: the STARTTLS response-injection attack.
		return fmt.Errorf("tls: server sent %d bytes after its go-ahead, before the handshake", n)
	}
	tc := tls.Client(w.conn, w.tls)
	_ = w.conn.SetDeadline(w.ioDeadline())
	if err := tc.Handshake(); err != nil {
		w.Note("TLS handshake failed: %v", err)
		return fmt.Errorf("TLS handshake failed: %w", err)
	}
	_ = w.conn.SetDeadline(time.Time{})
	w.conn = tc
	old := w.br
	w.br = newReader(w)
	old.Reset(nil)
	readers.Put(old)
	w.Note("%s", TLSNote(tc.ConnectionState(), w.Insecure))
	return nil
}

// TLSNote describes a finished handshake for a transcript.
func TLSNote(st tls.ConnectionState, insecure bool) string {
	subject := "no certificate"
	if len(st.PeerCertificates) > 0 {
		subject = st.PeerCertificates[0].Subject.String()
	}
	verified := "verified"
	if insecure {
		verified = "NOT verified (insecure)"
	}
	return fmt.Sprintf("TLS %s, %s, certificate %s, %s",
		strings.TrimPrefix(tls.VersionName(st.Version), "TLS "), tls.CipherSuiteName(st.CipherSuite), subject, verified)
}

// Close closes the connection; a client-side close is recorded unless the
// server closed first.
func (w *Wire) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.releaseReader()
	w.flushPartialLocked()
	if !w.eof {
		w.events = append(w.events, Event{Kind: Note, Text: "connection closed by the client"})
	}
	w.mu.Unlock()
	return w.conn.Close()
}
