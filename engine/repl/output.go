package repl

import (
	"bytes"
	"os"
	"sync"
)

// outputReader reads the interpreter's output pipe (its fds 1 and 2, and
// so those of every program it starts) and cuts it into one segment per
// statement at the driver's end-of-output mark. It keeps at most limit
// bytes of a segment and says when more came; it reads on regardless, so
// that a program writing more never blocks on a full pipe.
type outputReader struct {
	f    *os.File
	mark []byte
	segs chan segment // one per mark, then a last one (eof) at the end

	mu     sync.Mutex
	cur    []byte
	over   bool
	limit  int
	overCh chan struct{} // a value when the current segment passes limit
}

type segment struct {
	data []byte
	over bool // more was written than the limit allowed
	eof  bool // no mark came: the pipe was closed
}

func newOutputReader(f *os.File, mark string, limit int) *outputReader {
	o := &outputReader{f: f, mark: []byte(mark), segs: make(chan segment, 4), limit: limit, overCh: make(chan struct{}, 1)}
	go o.loop()
	return o
}

func (o *outputReader) loop() {
	buf := make([]byte, 32<<10)
	var carry []byte // a tail that may be the start of a mark
	for {
		n, err := o.f.Read(buf)
		data := append(carry, buf[:n]...)
		carry = nil
		for {
			i := bytes.Index(data, o.mark)
			if i < 0 {
				break
			}
			o.keep(data[:i])
			o.finish(false)
			data = data[i+len(o.mark):]
		}
		if err != nil {
			o.keep(data)
			o.finish(true)
			return
		}
		k := max(0, len(data)-(len(o.mark)-1))
		o.keep(data[:k])
		carry = append([]byte(nil), data[k:]...)
	}
}

func (o *outputReader) keep(p []byte) {
	if len(p) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	room := o.limit - len(o.cur)
	if len(p) > room {
		o.cur = append(o.cur, p[:max(room, 0)]...)
		if !o.over {
			o.over = true
			select {
			case o.overCh <- struct{}{}:
			default:
			}
		}
		return
	}
	o.cur = append(o.cur, p...)
}

func (o *outputReader) finish(eof bool) {
	o.mu.Lock()
	s := segment{data: o.cur, over: o.over, eof: eof}
	o.cur, o.over = nil, false
	o.mu.Unlock()
	// A mark comes only as the answer to a statement that Run waits for;
	// the buffer holds the last one even when Run gave up.
	select {
	case o.segs <- s:
	default:
	}
	if eof {
		close(o.segs)
	}
}

// setLimit bounds the next segment (what came since the last mark counts).
func (o *outputReader) setLimit(limit int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.limit = limit
	select {
	case <-o.overCh: // a signal from a segment that has ended
	default:
	}
	if len(o.cur) > limit {
		o.cur, o.over = o.cur[:limit], true
		o.overCh <- struct{}{}
	}
}

// partial is what the current segment holds so far.
func (o *outputReader) partial() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]byte(nil), o.cur...)
}
