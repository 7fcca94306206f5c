package engine

import (
	"fmt"
	"strings"
)

// Session statuses: the one model that the page, the course index, check's
// text, JUnit and JSON reports all use (docs/lab-format.md, "Statuses").
const (
	StatusVerified = "verified" // ran and matched the S: lines written for it
	StatusExpected = "expected" // ran, failed the way expect= says, and matched what is written
	StatusCaptured = "captured" // ran; nothing written to compare with: not verified
	StatusMismatch = "mismatch" // ran and differs from what is written (a failure)
	StatusFailed   = "failed"   // did not run to the end, and the lab did not expect that
	StatusOffline  = "offline"  // not run: the lab's own lines are shown
)

// Passed reports whether a session status counts as passed: only what was
// compared with written lines and agreed.
func Passed(status string) bool { return status == StatusVerified || status == StatusExpected }

// Tally counts sessions by status, the same way for every report, so a
// page's counts are the counts check prints for that lab.
type Tally struct {
	Verified int `json:"verified"`
	Expected int `json:"expected"`
	Captured int `json:"captured"`
	Failed   int `json:"failed"` // mismatched or failed sessions
	Offline  int `json:"offline"`
	Errors   int `json:"lab_errors"`             // labs that could not be run (format or setup errors)
	NotRun   int `json:"labs_not_run,omitempty"` // labs --max-failures kept from starting
}

// Add counts one session.
func (t *Tally) Add(status string) {
	switch status {
	case StatusVerified:
		t.Verified++
	case StatusExpected:
		t.Expected++
	case StatusCaptured:
		t.Captured++
	case StatusOffline:
		t.Offline++
	default:
		t.Failed++
	}
}

// AddLab counts a lab's sessions, or one error when the lab did not run.
func (t *Tally) AddLab(r *LabResult) {
	if r.NotRun != "" {
		t.NotRun++
		return
	}
	if r.Err != nil {
		t.Errors++
		return
	}
	for _, s := range r.Sessions {
		t.Add(s.Status)
	}
}

// Merge adds another tally.
func (t *Tally) Merge(o Tally) {
	t.Verified += o.Verified
	t.Expected += o.Expected
	t.Captured += o.Captured
	t.Failed += o.Failed
	t.Offline += o.Offline
	t.Errors += o.Errors
	t.NotRun += o.NotRun
}

// Sessions is the number of sessions counted.
func (t Tally) Sessions() int { return t.Verified + t.Expected + t.Captured + t.Failed + t.Offline }

// Passed is the number of sessions that passed.
func (t Tally) Passed() int { return t.Verified + t.Expected }

// NotPassed is everything check does not pass: failures, captured and
// offline sessions, and labs with errors.
func (t Tally) NotPassed() int { return t.Sessions() - t.Passed() + t.Errors + t.NotRun }

// Breakdown lists the non-zero counts by status, e.g. "1 verified,
// 1 captured (not verified)".
func (t Tally) Breakdown() string {
	var parts []string
	add := func(n int, one, many string) {
		if n == 1 {
			parts = append(parts, "1 "+one)
		} else if n > 1 {
			parts = append(parts, fmt.Sprintf("%d %s", n, many))
		}
	}
	add(t.Verified, "verified", "verified")
	add(t.Expected, "expected failure met", "expected failures met")
	add(t.Captured, "captured (not verified)", "captured (not verified)")
	add(t.Failed, "failed", "failed")
	add(t.Offline, "not run (offline)", "not run (offline)")
	add(t.Errors, "lab error", "lab errors")
	add(t.NotRun, "lab not run (--max-failures)", "labs not run (--max-failures)")
	return strings.Join(parts, ", ")
}

// plain is true when "N passed, M failed" says everything.
func (t Tally) plain() bool {
	return t.Expected == 0 && t.Captured == 0 && t.Offline == 0 && t.NotRun == 0
}

// CheckLine is check's summary: "1 passed, 1 failed: 1 verified, 1
// captured (not verified)"; the breakdown is left out when every session
// simply verified or failed.
func (t Tally) CheckLine() string {
	s := fmt.Sprintf("%d passed, %d failed", t.Passed(), t.NotPassed())
	if !t.plain() {
		s += ": " + t.Breakdown()
	}
	return s
}

// PageLine is the same count as a page and the index show it: "1 of 2
// sessions passed: 1 verified, 1 captured (not verified)".
func (t Tally) PageLine() string {
	n := t.Sessions()
	if n == 0 {
		if t.Errors > 0 {
			return "not run: the lab has errors"
		}
		return ""
	}
	noun := "sessions"
	if n == 1 {
		noun = "session"
	}
	return fmt.Sprintf("%d of %d %s passed: %s", t.Passed(), n, noun, t.Breakdown())
}

// LabStatus is the lab's one-word state: "verified" only when every
// session passed, "failed" when one failed, else "unverified".
func (t Tally) LabStatus() string {
	switch {
	case t.Errors > 0 || t.Failed > 0:
		return "failed"
	case t.Sessions() > 0 && t.Passed() == t.Sessions():
		return "verified"
	}
	return "unverified"
}
