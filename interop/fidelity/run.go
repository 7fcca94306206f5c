package main

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// outcome is what one step got back from one server.
type outcome struct {
	lines   []string      // the reply; for IMAP, untagged lines then the tagged one
	http    *httpResponse // HTTP only
	closed  bool          // the server hung up instead of (or while) replying
	err     string        // any other failure: timeout, TLS, framing
	skipped bool          // an earlier step ended the connection
}

// final is the reply's last line, the one with the status.
func (o outcome) final() string {
	if len(o.lines) == 0 {
		return ""
	}
	return o.lines[len(o.lines)-1]
}

// implicitTLS lists the services that start with a TLS handshake.
var implicitTLS = map[string]bool{"smtps": true, "pop3s": true, "imaps": true, "https": true}

// runSession plays sess against addr and returns one outcome per step.
func runSession(sess session, addr string, tlsCfg *tls.Config) []outcome {
	out := make([]outcome, len(sess.steps))
	c, err := dial(addr, implicitTLS[sess.service], tlsCfg)
	if err != nil {
		for i := range out {
			out[i] = outcome{err: err.Error(), skipped: i > 0}
		}
		return out
	}
	defer c.close()
	lastTag := ""
	for i, st := range sess.steps {
		o := &out[i]
		var err error
		switch {
		case st.send == "":
			o.lines, err = readGreeting(c, sess.proto)
		case sess.proto == "imap":
			tag, line := lastTag, st.send
			if !st.raw {
				tag = fmt.Sprintf("a%d", i)
				line = tag + " " + st.send
				lastTag = tag
			}
			if err = c.write(line + "\r\n"); err == nil {
				o.lines, err = c.imapReply(tag)
			}
		case sess.proto == "http":
			if err = c.write(st.send); err == nil {
				o.http, err = c.httpReply(st.head)
				if o.http != nil {
					o.lines = []string{o.http.status}
				}
			}
		default:
			if err = c.write(st.send + "\r\n"); err == nil {
				if sess.proto == "smtp" {
					o.lines, err = c.smtpReply()
				} else {
					o.lines, err = c.pop3Reply(st.multi)
				}
			}
		}
		if err == nil && st.tls && positive(sess.proto, o.final()) {
			if terr := c.startTLS(); terr != nil {
				o.err = terr.Error()
			}
		}
		if err != nil {
			if closedByPeer(err) {
				o.closed = true
			} else {
				o.err = err.Error()
			}
		}
		if o.closed || o.err != "" {
			for j := i + 1; j < len(out); j++ {
				out[j].skipped = true
			}
			break
		}
	}
	return out
}

func readGreeting(c *conn, proto string) ([]string, error) {
	switch proto {
	case "smtp":
		return c.smtpReply()
	case "pop3":
		return c.pop3Reply(false)
	case "imap":
		l, err := c.line()
		if err != nil {
			return nil, err
		}
		return []string{l}, nil
	}
	return nil, nil
}

// positive reports whether a final reply line says yes.
func positive(proto, final string) bool {
	switch proto {
	case "smtp":
		return strings.HasPrefix(final, "2") || strings.HasPrefix(final, "3")
	case "pop3":
		return strings.HasPrefix(final, "+OK")
	case "imap":
		f := strings.Fields(final)
		return len(f) >= 2 && strings.EqualFold(f[1], "OK")
	}
	return false
}
