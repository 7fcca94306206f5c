package hostileserver

import (
	"fmt"
	"strconv"
	"strings"
)

func (c *conn) smtp() {
	if !c.write(c.text("220 hostile.example ESMTP") + "\r\n") {
		return
	}
	for {
		line, ok := c.readLine()
		if !ok {
			return
		}
		if c.misbehave("250-") {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		echo := c.echo(line)
		var reply string
		switch verb {
		case "EHLO", "HELO":
			reply = "250-" + c.text("hostile.example") + echo + "\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS"
		case "STARTTLS":
			if !c.startTLS("220 2.0.0 go ahead", c.text("454 4.7.0 TLS not available")) {
				return
			}
			continue
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			steps := 0
			switch {
			case strings.EqualFold(mech, "LOGIN"):
				steps = 2
			case initial == "":
				steps = 1
			}
			for i := 0; i < steps; i++ {
				if !c.write("334 " + []string{"VXNlcm5hbWU6", "UGFzc3dvcmQ6"}[i%2] + echo + "\r\n") {
					return
				}
				if line, ok = c.readLine(); !ok {
					return
				}
				echo = c.echo(line)
			}
			reply = "235 2.7.0 " + c.text("authenticated") + echo
		case "DATA":
			if !c.write("354 go ahead\r\n") {
				return
			}
			for {
				l, ok := c.readLine()
				if !ok {
					return
				}
				if l == "." {
					break
				}
			}
			reply = "250 2.0.0 " + c.text("queued")
		case "QUIT":
			c.write("221 2.0.0 " + c.text("bye") + "\r\n")
			return
		default:
			reply = "250 2.0.0 " + c.text("ok") + echo
		}
		if !c.write(reply + "\r\n") {
			return
		}
	}
}

func (c *conn) pop3() {
	if !c.write("+OK " + c.text("hostile POP3 ready") + "\r\n") {
		return
	}
	for {
		line, ok := c.readLine()
		if !ok {
			return
		}
		if c.misbehave("+OK\r\n") {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		echo := c.echo(line)
		var reply string
		switch strings.ToUpper(verb) {
		case "CAPA":
			reply = "+OK " + c.text("capabilities") + echo + "\r\nUSER\r\nSASL PLAIN\r\nSTLS\r\n."
		case "STLS":
			if !c.startTLS("+OK begin TLS", "-ERR "+c.text("TLS not available")) {
				return
			}
			continue
		case "AUTH":
			if _, initial, _ := strings.Cut(arg, " "); initial == "" {
				if !c.write("+ \r\n") {
					return
				}
				if line, ok = c.readLine(); !ok {
					return
				}
				echo = c.echo(line)
			}
			reply = "+OK " + c.text("logged in") + echo
		case "LIST":
			reply = "+OK 1 message\r\n1 20\r\n."
		case "RETR", "TOP":
			reply = "+OK 20 octets\r\nSubject: " + c.text("hi") + "\r\n\r\nhello\r\n."
		case "QUIT":
			c.write("+OK " + c.text("bye") + "\r\n")
			return
		default:
			reply = "+OK " + c.text("ok") + echo
		}
		if !c.write(reply + "\r\n") {
			return
		}
	}
}

func (c *conn) imap() {
	if !c.write("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] " + c.text("hostile IMAP ready") + "\r\n") {
		return
	}
	for {
		line, ok := c.readLine()
		if !ok {
			return
		}
		tag, rest, _ := strings.Cut(line, " ")
		verb, arg, _ := strings.Cut(rest, " ")
		verb = strings.ToUpper(verb)
		if c.s.Mode == HugeLiteral && !c.triggered {
			c.triggered = true
			c.write("* 1 FETCH (BODY[] {999999999999}\r\n")
			c.endless(strings.Repeat("a", 32<<10))
			return
		}
		if c.misbehave("* ") {
			return
		}
		echo := c.echo(line)
		var reply string
		switch verb {
		case "CAPABILITY":
			reply = "* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN" + echo + "\r\n" + tag + " OK " + c.text("done")
		case "STARTTLS":
			if !c.startTLS(tag+" OK begin TLS", tag+" NO "+c.text("TLS not available")) {
				return
			}
			continue
		case "AUTHENTICATE":
			if _, initial, _ := strings.Cut(arg, " "); initial == "" {
				if !c.write("+ \r\n") {
					return
				}
				if line, ok = c.readLine(); !ok {
					return
				}
				echo = c.echo(line)
			}
			reply = tag + " OK " + c.text("authenticated") + echo
		case "SELECT", "EXAMINE":
			reply = "* 1 EXISTS\r\n* FLAGS (\\Seen)\r\n" + tag + " OK [READ-WRITE] " + c.text("selected")
		case "FETCH":
			body := "Subject: " + c.text("hi") + "\r\n\r\nhello\r\n"
			reply = "* 1 FETCH (BODY[] {" + strconv.Itoa(len(body)) + "}\r\n" + body + ")\r\n" + tag + " OK " + c.text("done")
		case "LOGOUT":
			c.write("* BYE " + c.text("bye") + "\r\n" + tag + " OK done\r\n")
			return
		default:
			reply = tag + " OK " + c.text("done") + echo
		}
		if !c.write(reply + "\r\n") {
			return
		}
	}
}

func (c *conn) http() {
	for {
		var req []string
		for {
			line, ok := c.readLine()
			if !ok {
				return
			}
			if line == "" {
				break
			}
			req = append(req, line)
		}
		if len(req) == 0 {
			return
		}
		if c.s.Mode == HugeLiteral && !c.triggered {
			c.triggered = true
			c.write("HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n")
			c.endless(strings.Repeat("a", 32<<10))
			return
		}
		head := "HTTP/1.1 200 OK\r\nServer: " + c.text("hostile/1.0") + "\r\nContent-Type: text/plain\r\n"
		if c.s.Mode == Endless && !c.triggered {
			c.triggered = true
			c.write(head)
			c.endless(strings.Repeat("X-More: x\r\n", 1000))
			return
		}
		if c.misbehave("HTTP/1.1 200 ") {
			return
		}
		body := c.text("hello") + "\r\n"
		if c.s.Mode == Echo {
			body = strings.Join(req, "\r\n") + "\r\n" + c.echo(strings.Join(req, " ")) + "\r\n"
		}
		closing := ""
		for _, h := range req {
			if strings.EqualFold(h, "Connection: close") {
				closing = "Connection: close\r\n"
			}
		}
		if !c.write(fmt.Sprintf("%s%sContent-Length: %d\r\n\r\n%s", head, closing, len(body), body)) || closing != "" {
			return
		}
	}
}
