package engine

import "testing"

func TestTallyLines(t *testing.T) {
	tests := []struct {
		statuses    []string
		check, page string
		lab         string
	}{
		{[]string{StatusVerified, StatusVerified}, "2 passed, 0 failed", "2 of 2 sessions passed: 2 verified", "verified"},
		{[]string{StatusCaptured}, "0 passed, 1 failed: 1 captured (not verified)", "0 of 1 session passed: 1 captured (not verified)", "unverified"},
		{[]string{StatusVerified, StatusExpected, StatusMismatch}, "2 passed, 1 failed: 1 verified, 1 expected failure met, 1 failed",
			"2 of 3 sessions passed: 1 verified, 1 expected failure met, 1 failed", "failed"},
		{[]string{StatusOffline}, "0 passed, 1 failed: 1 not run (offline)", "0 of 1 session passed: 1 not run (offline)", "unverified"},
	}
	for _, tt := range tests {
		var tl Tally
		for _, s := range tt.statuses {
			tl.Add(s)
		}
		if got := tl.CheckLine(); got != tt.check {
			t.Errorf("%v: CheckLine = %q, want %q", tt.statuses, got, tt.check)
		}
		if got := tl.PageLine(); got != tt.page {
			t.Errorf("%v: PageLine = %q, want %q", tt.statuses, got, tt.page)
		}
		if got := tl.LabStatus(); got != tt.lab {
			t.Errorf("%v: LabStatus = %q, want %q", tt.statuses, got, tt.lab)
		}
	}
	if Passed(StatusCaptured) || Passed(StatusOffline) || !Passed(StatusExpected) {
		t.Errorf("Passed: a captured or offline block passed, or an expected failure did not")
	}
}
