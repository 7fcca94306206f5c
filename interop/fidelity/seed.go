package main

import (
	"crypto/tls"
	"fmt"
	"strings"
	"time"
)

// deliveryWait bounds how long Postfix may take to hand mail to Dovecot.
const deliveryWait = 15 * time.Second

var seedSubjects = []string{"fidelity one", "fidelity two"}

// seed empties alice's and bob's mailboxes over POP3, then sends alice the
// two seed messages over SMTP and waits until POP3 shows both.
func seed(smtpAddr, pop3Addr string, tlsCfg *tls.Config, wait time.Duration) error {
	for _, u := range [][2]string{{"alice", "alice-pw"}, {"bob", "bob-pw"}} {
		if err := emptyMailbox(pop3Addr, u[0], u[1], tlsCfg); err != nil {
			return err
		}
	}
	c, err := dial(smtpAddr, false, tlsCfg)
	if err != nil {
		return err
	}
	defer c.close()
	expect := func(code string, line string) error {
		if line != "" {
			if err := c.write(line + "\r\n"); err != nil {
				return err
			}
		}
		r, err := c.smtpReply()
		if err != nil {
			return fmt.Errorf("seeding over SMTP, after %q: %w", line, err)
		}
		if !strings.HasPrefix(r[len(r)-1], code) {
			return fmt.Errorf("seeding over SMTP: %q got %q", line, r[len(r)-1])
		}
		return nil
	}
	steps := [][2]string{{"220", ""}, {"250", "EHLO seed.example"}}
	for _, subj := range seedSubjects {
		steps = append(steps,
			[2]string{"250", "MAIL FROM:<teacher@example.com>"},
			[2]string{"250", "RCPT TO:<alice@example.com>"},
			[2]string{"354", "DATA"},
			[2]string{"250", "From: <teacher@example.com>\r\nTo: <alice@example.com>\r\nSubject: " + subj +
				"\r\n\r\nThis is " + subj + ".\r\n."})
	}
	steps = append(steps, [2]string{"221", "QUIT"})
	for _, s := range steps {
		if err := expect(s[0], s[1]); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(wait)
	for {
		n, err := messageCount(pop3Addr, "alice", "alice-pw", tlsCfg)
		if err != nil {
			return err
		}
		if n == len(seedSubjects) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("alice has %d messages, want %d after %v", n, len(seedSubjects), wait)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func pop3Login(addr, user, pass string, tlsCfg *tls.Config) (*conn, error) {
	c, err := dial(addr, false, tlsCfg)
	if err != nil {
		return nil, err
	}
	for _, line := range []string{"", "USER " + user, "PASS " + pass} {
		if line != "" {
			if err := c.write(line + "\r\n"); err != nil {
				c.close()
				return nil, err
			}
		}
		r, err := c.pop3Reply(false)
		if err != nil || !strings.HasPrefix(r[0], "+OK") {
			c.close()
			return nil, fmt.Errorf("POP3 login as %s at %s: %v %v", user, addr, r, err)
		}
	}
	return c, nil
}

func messageCount(addr, user, pass string, tlsCfg *tls.Config) (int, error) {
	c, err := pop3Login(addr, user, pass, tlsCfg)
	if err != nil {
		return 0, err
	}
	defer c.close()
	if err := c.write("STAT\r\n"); err != nil {
		return 0, err
	}
	r, err := c.pop3Reply(false)
	if err != nil {
		return 0, err
	}
	var n, size int
	if _, err := fmt.Sscanf(r[0], "+OK %d %d", &n, &size); err != nil {
		return 0, fmt.Errorf("POP3 STAT: %q", r[0])
	}
	c.write("QUIT\r\n")
	c.pop3Reply(false)
	return n, nil
}

func emptyMailbox(addr, user, pass string, tlsCfg *tls.Config) error {
	n, err := messageCount(addr, user, pass, tlsCfg)
	if err != nil || n == 0 {
		return err
	}
	c, err := pop3Login(addr, user, pass, tlsCfg)
	if err != nil {
		return err
	}
	defer c.close()
	for i := 1; i <= n; i++ {
		if err := c.write(fmt.Sprintf("DELE %d\r\n", i)); err != nil {
			return err
		}
		if _, err := c.pop3Reply(false); err != nil {
			return err
		}
	}
	// QUIT commits the deletions.
	if err := c.write("QUIT\r\n"); err != nil {
		return err
	}
	r, err := c.pop3Reply(false)
	if err != nil || !strings.HasPrefix(r[0], "+OK") {
		return fmt.Errorf("POP3 QUIT as %s: %v %v", user, r, err)
	}
	return nil
}
