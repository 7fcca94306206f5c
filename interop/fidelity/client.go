package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// ioTimeout bounds every read and write, so a server that stays silent
// shows up as a difference instead of hanging the report.
const ioTimeout = 10 * time.Second

// conn is a line-based client connection that can switch to TLS mid-session.
type conn struct {
	raw    net.Conn
	r      *bufio.Reader
	tlsCfg *tls.Config
}

func dial(addr string, implicitTLS bool, tlsCfg *tls.Config) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	cn := &conn{raw: c, tlsCfg: tlsCfg}
	cn.r = bufio.NewReader(c)
	if implicitTLS {
		if err := cn.startTLS(); err != nil {
			c.Close()
			return nil, err
		}
	}
	return cn, nil
}

func (c *conn) startTLS() error {
	t := tls.Client(c.raw, c.tlsCfg)
	t.SetDeadline(time.Now().Add(ioTimeout))
	if err := t.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake with %s: %w", c.raw.RemoteAddr(), err)
	}
	c.raw = t
	c.r = bufio.NewReader(t)
	return nil
}

func (c *conn) close() { c.raw.Close() }

func (c *conn) write(text string) error {
	c.raw.SetWriteDeadline(time.Now().Add(ioTimeout))
	_, err := io.WriteString(c.raw, text)
	return err
}

// line reads one line without its CRLF.
func (c *conn) line() (string, error) {
	c.raw.SetReadDeadline(time.Now().Add(ioTimeout))
	s, err := c.r.ReadString('\n')
	if err != nil {
		if s != "" && errors.Is(err, io.EOF) {
			return "", fmt.Errorf("connection closed inside a line %q", s)
		}
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// bytes reads exactly n bytes (an IMAP literal or an HTTP body).
func (c *conn) bytes(n int) ([]byte, error) {
	c.raw.SetReadDeadline(time.Now().Add(ioTimeout))
	buf := make([]byte, n)
	_, err := io.ReadFull(c.r, buf)
	return buf, err
}

// closedByPeer reports whether err means the server hung up.
func closedByPeer(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "connection reset")
}

// smtpReply reads one SMTP reply: lines "250-..." up to the "250 ..." one.
func (c *conn) smtpReply() ([]string, error) {
	var lines []string
	for {
		l, err := c.line()
		if err != nil {
			return lines, err
		}
		lines = append(lines, l)
		if len(l) < 4 || l[3] != '-' {
			return lines, nil
		}
	}
}

// pop3Reply reads a status line and, when multi and the status is +OK, the
// dot-terminated body (the final "." is not returned).
func (c *conn) pop3Reply(multi bool) ([]string, error) {
	first, err := c.line()
	if err != nil {
		return nil, err
	}
	lines := []string{first}
	if !multi || !strings.HasPrefix(first, "+OK") {
		return lines, nil
	}
	for {
		l, err := c.line()
		if err != nil {
			return lines, err
		}
		if l == "." {
			return lines, nil
		}
		lines = append(lines, l)
	}
}

// imapReply reads untagged lines until the tagged completion or a "+"
// continuation. A literal {n} is read and stood in for by "{n}".
func (c *conn) imapReply(tag string) ([]string, error) {
	var lines []string
	for {
		l, err := c.line()
		if err != nil {
			return lines, err
		}
		full := l
		for {
			n, ok := literalSize(l)
			if !ok {
				break
			}
			if _, err := c.bytes(n); err != nil {
				return append(lines, full), err
			}
			if l, err = c.line(); err != nil {
				return append(lines, full), err
			}
			full += l
		}
		lines = append(lines, full)
		if strings.HasPrefix(full, tag+" ") || strings.HasPrefix(full, "+") {
			return lines, nil
		}
	}
}

// literalSize reports n when the line ends in an IMAP literal {n}.
func literalSize(l string) (int, bool) {
	if !strings.HasSuffix(l, "}") {
		return 0, false
	}
	i := strings.LastIndexByte(l, '{')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(l[i+1:len(l)-1], "+"))
	return n, err == nil && n >= 0
}

// httpResponse is the part of an HTTP response the report compares.
type httpResponse struct {
	status  string // "HTTP/1.1 200 OK"
	code    int
	headers map[string]string // canonical lower-case names
	body    []byte
}

// httpReply reads one response; bodyless is true for HEAD requests.
func (c *conn) httpReply(bodyless bool) (*httpResponse, error) {
	status, err := c.line()
	if err != nil {
		return nil, err
	}
	resp := &httpResponse{status: status, headers: map[string]string{}}
	if f := strings.Fields(status); len(f) >= 2 {
		resp.code, _ = strconv.Atoi(f[1])
	}
	for {
		l, err := c.line()
		if err != nil {
			return resp, err
		}
		if l == "" {
			break
		}
		name, value, _ := strings.Cut(l, ":")
		resp.headers[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
	}
	if bodyless || resp.code == 204 || resp.code == 304 || resp.code/100 == 1 {
		return resp, nil
	}
	if strings.EqualFold(resp.headers["transfer-encoding"], "chunked") {
		for {
			l, err := c.line()
			if err != nil {
				return resp, err
			}
			size, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(l, ";", 2)[0]), 16, 32)
			if err != nil {
				return resp, fmt.Errorf("bad chunk size %q", l)
			}
			if size == 0 {
				for {
					if t, err := c.line(); err != nil || t == "" {
						return resp, err
					}
				}
			}
			chunk, err := c.bytes(int(size))
			if err != nil {
				return resp, err
			}
			resp.body = append(resp.body, chunk...)
			if _, err := c.line(); err != nil {
				return resp, err
			}
		}
	}
	if cl, ok := resp.headers["content-length"]; ok {
		n, err := strconv.Atoi(cl)
		if err != nil {
			return resp, fmt.Errorf("bad Content-Length %q", cl)
		}
		resp.body, err = c.bytes(n)
		return resp, err
	}
	c.raw.SetReadDeadline(time.Now().Add(ioTimeout))
	resp.body, err = io.ReadAll(c.r)
	return resp, err
}
