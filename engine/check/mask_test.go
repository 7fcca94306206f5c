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
