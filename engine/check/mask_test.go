package check

import (
	"fmt"
	"testing"
	"time"
)

// TestDateMasksEveryDay formats a date the way each real server of the
// interop environment does, for every day of a month, and checks that the
// masked line is the same as on a two-digit day. Postfix pads a one-digit
// day with a space (%e), Dovecot and nginx with a zero.
func TestDateMasksEveryDay(t *testing.T) {
	formats := []struct {
		server, proto, line, layout string
	}{
		{"postfix Received", "smtp", "\tfor <alice@example.com>; %s", "Mon, _2 Jan 2006 15:04:05 -0700 (MST)"},
		{"postfix Date header", "smtp", "Date: %s", "Mon, _2 Jan 2006 15:04:05 -0700 (MST)"},
		{"postfix 221 body", "smtp", "X-Sent: %s", "Mon, _2 Jan 2006 15:04:05 -0700 (MST)"},
		{"dovecot LMTP Received", "pop3", "\tfor <alice@example.com>; %s", "Mon, 02 Jan 2006 15:04:05 -0700"},
		{"dovecot INTERNALDATE", "imap", `* 1 FETCH (INTERNALDATE "%s")`, "02-Jan-2006 15:04:05 -0700"},
		{"RFC 3501 INTERNALDATE", "imap", `* 1 FETCH (INTERNALDATE "%s")`, "_2-Jan-2006 15:04:05 -0700"},
		{"nginx Date", "http", "Date: %s", "Mon, 02 Jan 2006 15:04:05 GMT"},
		{"nginx Last-Modified", "http", "Last-Modified: %s", "Mon, 02 Jan 2006 15:04:05 GMT"},
		{"mail body date", "imap", "sent on %s, see below", "Mon, _2 Jan 2006 15:04:05 -0700"},
	}
	utc := time.UTC
	reference := time.Date(2026, time.November, 25, 20, 52, 49, 0, utc)
	for _, f := range formats {
		masks := MasksFor(f.proto, nil)
		want := applyMasks(fmt.Sprintf(f.line, reference.Format(f.layout)), masks)
		if want == fmt.Sprintf(f.line, reference.Format(f.layout)) {
			t.Errorf("%s: the mask does not change %q", f.server, want)
			continue
		}
		for _, month := range []time.Month{time.February, time.December} {
			for day := 1; day <= 31; day++ {
				d := time.Date(2026, month, day, 9, 5, 7, 0, utc)
				if d.Month() != month {
					break
				}
				line := fmt.Sprintf(f.line, d.Format(f.layout))
				if got := applyMasks(line, masks); got != want {
					t.Errorf("%s, day %d: %q masks to %q, want %q", f.server, day, line, got, want)
				}
			}
		}
	}
}

func TestPostfixReceivedDayOneAndTwentyOne(t *testing.T) {
	masks := MasksFor("pop3", nil)
	one := applyMasks("\tfor <alice@example.com>; Tue,  1 Dec 2026 20:41:07 +0000 (UTC)", masks)
	twentyOne := applyMasks("\tfor <alice@example.com>; Mon, 21 Dec 2026 20:41:07 +0000 (UTC)", masks)
	if one != twentyOne || one != "\tfor <alice@example.com>; <date>" {
		t.Errorf("day 1 masks to %q, day 21 to %q; want both %q", one, twentyOne, "\tfor <alice@example.com>; <date>")
	}
}

func TestExecMasks(t *testing.T) {
	masks := MasksFor("pycon", nil)
	for _, tc := range []struct{ a, b string }{
		{"  36:44.86 > b'OICM6 FETCH 3 (BODY[HEADER])'", "  38:32.19 > b'FNHG6 FETCH 3 (BODY[HEADER])'"},
		{"send: 'ehlo [127.0.0.1]\\r\\n'", "send: 'ehlo heffalump.local\\r\\n'"},
		{"<imaplib.IMAP4 object at 0x7f8fc376e8d0>", "<imaplib.IMAP4 object at 0x7f00deadbeef>"},
		{`header: ETag: "6b0f4c9e-23"`, `header: ETag: "6b0f4f14-23"`},
		{"< Server: nginx/1.22.1", "< Server: nginx/1.24.0"},
		{"send: b'GET / HTTP/1.1\\r\\nHost: 127.0.0.1:40355\\r\\n'", "send: b'GET / HTTP/1.1\\r\\nHost: 127.0.0.1:20080\\r\\n'"},
		{`b'Received: from mail.example.com\r\n\tby mail.example.com with LMTP\r\n\tid QPnzCWdMD2vwHQAAg+zDdQ\r\nMessage-Id: <20261201223831.27D50984120@mail.example.com>\r\n'`,
			`b'Received: from mail.example.com\r\n\tby mail.example.com with LMTP\r\n\tid mIWEHHdMD2vwHQAAg+zDdQ\r\nMessage-Id: <20261201223847.722279840DD@mail.example.com>\r\n'`},
	} {
		if applyMasks(tc.a, masks) != applyMasks(tc.b, masks) {
			t.Errorf("masked differently:\n%s\n%s", applyMasks(tc.a, masks), applyMasks(tc.b, masks))
		}
	}
	if a, b := "  36:44.86 < b'* SEARCH 3'", "  36:44.86 < b'* SEARCH 4'"; applyMasks(a, masks) == applyMasks(b, masks) {
		t.Errorf("the masks hide a real difference: %q", applyMasks(a, masks))
	}
}
