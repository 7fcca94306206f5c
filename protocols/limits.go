package protocols

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// Limits bound what a Wire reads, keeps and waits for: everything a server
// sends is untrusted, and what wirebook keeps of a session (events, pages,
// cache) must not grow with what the server chooses to send.
type Limits struct {
	MaxLine     int           // longest server line, bytes (default 64 KiB)
	MaxBytes    int64         // most server bytes kept for one session, 64 bytes counted per line on top (default 8 MiB)
	MaxLines    int           // most transcript lines in one session (default 20000)
	MaxPayload  int64         // largest literal or body, announced or read (default 4 MiB)
	ReadTimeout time.Duration // longest wait for the server at any one time (default 10s)
	// Deadline, when set, is when the session must be over whatever the
	// server does (a byte every few seconds never trips ReadTimeout);
	// DeadlineName says which deadline it is in errors ("the block
	// deadline (60s)").
	Deadline     time.Time
	DeadlineName string
}

// DefaultLimits are used for zero fields of Limits.
var DefaultLimits = Limits{MaxLine: 64 << 10, MaxBytes: 8 << 20, MaxLines: 20000, MaxPayload: 4 << 20, ReadTimeout: 10 * time.Second}

// lineOverhead is what one kept line costs besides its text (the Event,
// its slice slot, its page and cache markup): counted against MaxBytes so
// that a million empty lines cost what they really cost.
const lineOverhead = 64

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxLine <= 0 {
		l.MaxLine = d.MaxLine
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxLines <= 0 {
		l.MaxLines = d.MaxLines
	}
	if l.MaxPayload <= 0 {
		l.MaxPayload = d.MaxPayload
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = d.ReadTimeout
	}
	if l.DeadlineName == "" {
		l.DeadlineName = "the deadline"
	}
	return l
}

// ErrLimit is matched (errors.Is) by every error for a server exceeding a
// Limit.
var ErrLimit = errors.New("limit exceeded")

// LimitError is a server exceeding a limit; the session stops there.
type LimitError struct{ Msg string }

func (e *LimitError) Error() string        { return e.Msg }
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

func limitErr(format string, args ...any) error {
	return &LimitError{Msg: fmt.Sprintf(format, args...)}
}

// ErrDeadline is matched by the error of a session cut by Limits.Deadline.
var ErrDeadline = errors.New("deadline passed")

type deadlineError struct{ name string }

func (e *deadlineError) Error() string        { return e.name + " passed: the session was cut" }
func (e *deadlineError) Is(target error) bool { return target == ErrDeadline }

// ClosedError is the server closing the connection in the middle of a
// reply; it matches io.ErrUnexpectedEOF.
type ClosedError struct {
	Partial int // bytes of the unfinished line already received
}

func (e *ClosedError) Error() string {
	if e.Partial > 0 {
		return fmt.Sprintf("the server closed the connection in the middle of a line (after %d bytes of it)", e.Partial)
	}
	return "the server closed the connection before the reply was complete"
}

func (e *ClosedError) Unwrap() error { return io.ErrUnexpectedEOF }

// count adds n server bytes read to the session's total.
func (w *Wire) count(n int) error {
	w.read += int64(n)
	if w.read <= w.limits.MaxBytes {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cut == nil {
		w.cutLocked(limitErr("the server sent more than %d bytes in this session (limit session_bytes)", w.limits.MaxBytes))
	}
	return w.cut
}

// cutLocked ends the transcript at a limit, with a note saying so.
func (w *Wire) cutLocked(err error) {
	w.cut = err
	w.flushPartialLocked()
	w.events = append(w.events, Event{Kind: Note, Text: "transcript cut here: " + err.Error() + "; the rest was not read"})
}

// keepLine accounts for one more transcript line of n bytes; called with
// w.mu held. It reports false when the line would exceed a limit: the
// transcript is cut there, with a note.
func (w *Wire) keepLineLocked(n int) bool {
	if w.cut != nil {
		return false
	}
	w.kept += int64(n) + lineOverhead
	w.lines++
	switch {
	case w.lines > w.limits.MaxLines:
		w.partial = nil
		w.cutLocked(limitErr("the server sent more than %d lines in this session (limit session_lines)", w.limits.MaxLines))
	case w.kept > w.limits.MaxBytes:
		w.partial = nil
		w.cutLocked(limitErr("the server sent more than %d bytes in this session, counting %d per line (limit session_bytes)", w.limits.MaxBytes, lineOverhead))
	default:
		return true
	}
	return false
}

// readErr turns a read error into the session's error.
func (w *Wire) readErr(err error, partial int) error {
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		w.markEOF()
		return &ClosedError{Partial: partial}
	case errors.Is(err, os.ErrDeadlineExceeded):
		if !w.limits.Deadline.IsZero() && !time.Now().Before(w.limits.Deadline) {
			w.Note("%s passed: the session was cut", w.limits.DeadlineName)
			return &deadlineError{w.limits.DeadlineName}
		}
		return fmt.Errorf("no answer from the server within %s (read timeout)", w.limits.ReadTimeout)
	case errors.Is(err, syscall.ECONNRESET):
		w.Note("connection reset by the server")
		return errors.New("the server reset the connection")
	}
	return err
}

// ioDeadline is when the next read or write must be done: the read timeout
// from now, or the session's deadline if that comes first.
func (w *Wire) ioDeadline() time.Time {
	t := time.Now().Add(w.limits.ReadTimeout)
	if d := w.limits.Deadline; !d.IsZero() && d.Before(t) {
		return d
	}
	return t
}
