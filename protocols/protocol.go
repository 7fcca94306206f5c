// Package protocols defines what every protocol package implements: the
// client-side dialogue rules of one session, driven over a recording Wire.
//
// The engine knows protocols only through this package. Adding a protocol is
// one new package implementing Protocol plus one line where cmd/wirebook
// builds the Registry.
package protocols

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Info describes a protocol to the engine.
type Info struct {
	Name    string // info-string name of a session block, e.g. "smtp"
	Port    int    // standard port, e.g. 25
	TLSName string // name of the implicit-TLS variant, e.g. "smtps"; "" if none
	TLSPort int    // standard port of the implicit-TLS variant, e.g. 465
}

// Protocol is the client side of one protocol.
type Protocol interface {
	Info() Info
	// Run reads whatever the server says first, then sends the script's
	// client lines following the protocol's rules, reading each complete
	// response. It returns at the end of the script or at the first error;
	// everything that crossed the wire is recorded by s.Wire either way.
	Run(ctx context.Context, s *Session) error
}

// Session is one run of a session block.
type Session struct {
	Wire   *Wire
	Script *Script
}

// Registry maps block names (plain and implicit-TLS variants) to protocols.
type Registry struct {
	byName map[string]entry
}

type entry struct {
	proto       Protocol
	implicitTLS bool
}

// NewRegistry returns a registry holding ps.
func NewRegistry(ps ...Protocol) *Registry {
	r := &Registry{byName: map[string]entry{}}
	for _, p := range ps {
		r.Add(p)
	}
	return r
}

// Add registers p under its name and its TLS variant's name.
func (r *Registry) Add(p Protocol) {
	info := p.Info()
	r.byName[info.Name] = entry{proto: p}
	if info.TLSName != "" {
		r.byName[info.TLSName] = entry{proto: p, implicitTLS: true}
	}
}

// Lookup finds a protocol by block name; implicitTLS reports a TLS variant
// such as "smtps".
func (r *Registry) Lookup(name string) (p Protocol, implicitTLS bool, ok bool) {
	if r == nil {
		return nil, false, false
	}
	e, ok := r.byName[strings.ToLower(name)]
	return e.proto, e.implicitTLS, ok
}

// Names lists every registered block name, sorted.
func (r *Registry) Names() []string {
	var out []string
	for n := range r.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Port is the standard port of a block name (465 for "smtps").
func (r *Registry) Port(name string) int {
	p, tls, ok := r.Lookup(name)
	if !ok {
		return 0
	}
	if tls {
		return p.Info().TLSPort
	}
	return p.Info().Port
}

// ClientLine is one line the author wrote for the client to send.
type ClientLine struct {
	Text      string // what is sent, without the line end, variables expanded
	Display   string // what the transcript shows: Text with secrets masked
	Source    int    // 1-based line of the C: line in the lab file; 0 if made up
	Pipelined bool   // written "C+": sent right after the previous line, without waiting for its reply
}

// Script is the sequence of client lines of one block, consumed in order by
// a protocol's Run.
type Script struct {
	lines []ClientLine
	next  int
}

// NewScript returns a script over lines.
func NewScript(lines []ClientLine) *Script { return &Script{lines: lines} }

// More reports whether lines remain.
func (s *Script) More() bool { return s.next < len(s.lines) }

// Next returns the next line and consumes it.
func (s *Script) Next() (ClientLine, bool) {
	if !s.More() {
		return ClientLine{}, false
	}
	l := s.lines[s.next]
	s.next++
	return l, true
}

// Peek returns the next line without consuming it.
func (s *Script) Peek() (ClientLine, bool) {
	if !s.More() {
		return ClientLine{}, false
	}
	return s.lines[s.next], true
}

// NextGroup returns the next line and every directly following line marked
// Pipelined: the lines to send back to back before reading any reply.
func (s *Script) NextGroup() []ClientLine {
	first, ok := s.Next()
	if !ok {
		return nil
	}
	group := []ClientLine{first}
	for {
		l, ok := s.Peek()
		if !ok || !l.Pipelined {
			return group
		}
		s.next++
		group = append(group, l)
	}
}

// Remaining returns the lines not yet consumed.
func (s *Script) Remaining() []ClientLine { return s.lines[s.next:] }

// ProtocolError is a server response that breaks the protocol's rules (as
// opposed to an error reply, which is a normal part of a transcript).
type ProtocolError struct {
	Proto string
	Msg   string
}

func (e *ProtocolError) Error() string { return fmt.Sprintf("%s: %s", e.Proto, e.Msg) }
