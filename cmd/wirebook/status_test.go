package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const capturedOnlyLab = "---\ntitle: Captured\n---\n# Captured\n\n```smtp\nC: EHLO client.example\nC: QUIT\n```\n\n```smtp\nC: NOOP\nC: QUIT\n```\n"

// A lab with only C: lines ran but compared nothing: the page, the index,
// check's text, its JSON and its JUnit report all count it the same way,
// and none calls it verified or passed.
func TestCapturedOnlyLabCountsAgree(t *testing.T) {
	dir := inTempCourse(t, map[string]string{"captured.md": capturedOnlyLab})
	if status, _, stderr := runCLI(t, nil, "", "build", "--out", "out", "labs"); status != exitOK {
		t.Fatalf("build: exit %d\n%s", status, stderr)
	}
	const counts = "0 of 2 sessions passed: 2 captured (not verified)"
	page, _ := os.ReadFile(filepath.Join(dir, "out", "captured.html"))
	index, _ := os.ReadFile(filepath.Join(dir, "out", "index.html"))
	for name, html := range map[string]string{"page": string(page), "index": string(index)} {
		if !strings.Contains(html, `<span class="wb-lab-count">`+counts+`</span>`) {
			t.Errorf("%s does not say %q:\n%s", name, counts, textOf(html))
		}
		if !strings.Contains(html, `wb-status-unverified">not verified<`) || strings.Contains(html, "wb-status-verified") {
			t.Errorf("%s shows the captured-only lab as verified", name)
		}
	}
	if strings.Count(string(page), `<figcaption class="wb-badge wb-badge-captured" title="captured from the embedded lab server`) != 2 || strings.Contains(string(page), "wb-badge-verified") {
		t.Errorf("page badges are not both captured:\n%s", textOf(string(page)))
	}

	status, out, _ := runCLI(t, nil, "", "check", "--junit", "report.xml", "labs")
	if status != exitFailed || !strings.HasSuffix(out, "0 passed, 2 failed: 2 captured (not verified)\n") {
		t.Errorf("check: exit %d\n%s", status, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "report.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var suite junitSuite
	if err := xml.Unmarshal(data, &suite); err != nil {
		t.Fatal(err)
	}
	if suite.Tests != 2 || suite.Failures != 2 || suite.Cases[0].Failure == nil || suite.Cases[0].Failure.Message != "captured" {
		t.Errorf("JUnit: %d tests, %d failures:\n%s", suite.Tests, suite.Failures, data)
	}
	_, out, _ = runCLI(t, nil, "", "check", "--json", "labs")
	var report struct {
		Sessions []jsonSession
		Counts   struct{ Verified, Captured, Failed int }
	}
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &report); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if len(report.Sessions) != 2 || report.Sessions[0].Passed || report.Sessions[0].Status != "captured" ||
		report.Counts.Captured != 2 || report.Counts.Verified != 0 {
		t.Errorf("JSON report: %+v", report)
	}
}

const refusalLab = "---\ntitle: Refused\n---\n# Refused\n\n```smtp expect=550\nC: EHLO client.example\nC: MAIL FROM:<teacher@example.com>\nC: RCPT TO:<nobody@example.com>\nC: QUIT\n```\n"

// An expected refusal is shown and counted as what it is, not as a plain
// verification.
func TestExpectedFailureShownAsSuch(t *testing.T) {
	dir := inTempCourse(t, map[string]string{"refused.md": refusalLab})
	if status, _, stderr := runCLI(t, nil, "", "update", "labs"); status != exitOK {
		t.Fatalf("update: exit %d\n%s", status, stderr)
	}
	status, out, _ := runCLI(t, nil, "", "check", "labs")
	if status != exitOK || !strings.HasSuffix(out, "1 passed, 0 failed: 1 expected failure met\n") {
		t.Fatalf("check: exit %d\n%s", status, out)
	}
	if status, _, stderr := runCLI(t, nil, "", "build", "--out", "out", "labs"); status != exitOK {
		t.Fatalf("build: exit %d\n%s", status, stderr)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "out", "refused.html"))
	for _, want := range []string{
		`<figcaption class="wb-badge wb-badge-expected" title="expected failure met: refused with 550, as the lab expects; verified against the embedded lab server`,
		`<span class="wb-badge-word">expected 550</span>`,
		`<span class="wb-lab-count">1 of 1 session passed: 1 expected failure met</span>`,
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %s\n%s", want, textOf(string(page)))
		}
	}
}
