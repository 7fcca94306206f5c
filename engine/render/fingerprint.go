package render

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"sort"
	"time"

	"github.com/wirebook/wirebook/protocols"
	"github.com/wirebook/wirebook/site"
)

// fingerprint hashes everything a lab page is made of: the page data,
// the lab's source, its sessions, and the build of wirebook. Every field
// is written with its length or as a fixed-size number, so no two inputs
// hash alike; fingerprint_test.go fails when one of these structs gains
// a field this does not hash. (It replaced a JSON encoding of the same
// values, an eighth of a cold build's CPU.)
func (w *SiteWriter) fingerprint(data site.PageData, p LabPage) string {
	k := keyHasher{h: sha256.New(), buf: make([]byte, 0, 32<<10)}
	k.pageData(data)
	if p.Result.Lab != nil {
		k.bytes(p.Result.Lab.Source)
	} else {
		k.int(-1)
	}
	lines := make([]int, 0, len(p.Sessions))
	for line := range p.Sessions {
		lines = append(lines, line)
	}
	sort.Ints(lines)
	k.int(len(lines))
	for _, line := range lines {
		k.int(line)
		k.session(p.Sessions[line])
	}
	k.str(w.build)
	return hex.EncodeToString(k.sum())
}

// keyHasher writes values into a hash through a buffer, without
// allocating per value.
type keyHasher struct {
	h   hash.Hash
	buf []byte
}

func (k *keyHasher) flush() {
	k.h.Write(k.buf)
	k.buf = k.buf[:0]
}

func (k *keyHasher) sum() []byte {
	k.flush()
	return k.h.Sum(nil)
}

func (k *keyHasher) int(n int) {
	if len(k.buf) > 16<<10 {
		k.flush()
	}
	k.buf = binary.AppendVarint(k.buf, int64(n))
}

func (k *keyHasher) bool(b bool) {
	if b {
		k.int(1)
	} else {
		k.int(0)
	}
}

func (k *keyHasher) str(s string) {
	k.int(len(s))
	k.buf = append(k.buf, s...)
}

func (k *keyHasher) bytes(b []byte) {
	k.int(len(b))
	k.flush()
	k.h.Write(b)
}

func (k *keyHasher) strs(ss []string) {
	k.int(len(ss))
	for _, s := range ss {
		k.str(s)
	}
}

func (k *keyHasher) time(t time.Time) {
	b, _ := t.MarshalBinary() // zone offset included, as JSON's RFC 3339 was
	k.bytes(b)
}

func (k *keyHasher) pageData(d site.PageData) {
	k.str(d.CourseTitle)
	k.str(d.Title)
	k.str(string(d.Body))
	k.int(len(d.TOC))
	for _, t := range d.TOC {
		k.int(t.Level)
		k.str(t.ID)
		k.str(t.Text)
	}
	k.summary(d.Prev)
	k.summary(d.Next)
	k.str(d.Status)
	k.int(d.Sessions)
	k.int(d.Passed)
	k.str(d.Counts)
	k.strs(d.Errors)
	k.str(d.Generated)
	k.str(d.CSSHref)
	k.str(d.JSHref)
	k.bool(d.LiveReload)
}

func (k *keyHasher) summary(s *site.LabSummary) {
	if s == nil {
		k.int(-1)
		return
	}
	k.int(1)
	k.str(s.Title)
	k.str(s.Href)
	k.str(s.Summary)
	k.int(s.Sessions)
	k.int(s.Passed)
	k.str(s.Counts)
	k.str(s.Status)
}

func (k *keyHasher) session(v *SessionView) {
	if v == nil {
		k.int(-1)
		return
	}
	k.str(v.Proto)
	k.int(len(v.Events))
	for _, e := range v.Events {
		k.event(e)
	}
	k.str(v.Status)
	k.str(v.Server)
	k.str(v.Software)
	k.bool(v.Embedded)
	k.bool(v.Insecure)
	k.time(v.When)
	k.str(v.Message)
	k.str(v.Outcome)
	k.str(v.Detail)
	k.str(v.Exec)
	k.bool(v.Names)
	k.bool(v.Open)
}

func (k *keyHasher) event(e protocols.Event) {
	k.int(int(e.Kind))
	k.str(e.Text)
	k.int(e.Source)
	k.bool(e.Payload)
	k.bool(e.NoEOL)
	k.bool(e.Pipelined)
	k.bool(e.LF)
}
