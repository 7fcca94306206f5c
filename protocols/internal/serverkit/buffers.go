package serverkit

import (
	"bufio"
	"io"
	"sync"
)

// The read and write buffers of sessions, reused from one connection to
// the next: a lab run opens a connection per block, and a fresh 4 KiB
// pair for each is most of what a short session allocates.
var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}
)

// NewReader is bufio.NewReaderSize(r, 4096) from the pool; give it back
// with PutReader once the session no longer reads.
func NewReader(r io.Reader) *bufio.Reader {
	b := readers.Get().(*bufio.Reader)
	b.Reset(r)
	return b
}

// NewWriter is bufio.NewWriterSize(w, 4096) from the pool; give it back
// with PutWriter once the session no longer writes.
func NewWriter(w io.Writer) *bufio.Writer {
	b := writers.Get().(*bufio.Writer)
	b.Reset(w)
	return b
}

// PutReader returns b to the pool, dropping what it still holds.
func PutReader(b *bufio.Reader) {
	if b == nil || b.Size() != 4096 {
		return
	}
	b.Reset(nil)
	readers.Put(b)
}

// PutWriter returns b to the pool, dropping what it still holds.
func PutWriter(b *bufio.Writer) {
	if b == nil || b.Size() != 4096 {
		return
	}
	b.Reset(nil)
	writers.Put(b)
}
