package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

var (
	helpFlag   = regexp.MustCompile(`(?m)^\s+(?:-([a-zA-Z]), )?--([a-z][a-z0-9-]*)`)
	readmeFlag = regexp.MustCompile("`(--?[a-z][a-z0-9-]*)")
)

// helpFlags lists the flags `wirebook CMD... --help` shows: long name to
// shorthand ("" for none).
func helpFlags(t *testing.T, cmd ...string) map[string]string {
	t.Helper()
	status, out, _ := runCLI(t, nil, "", append(cmd, "--help")...)
	if status != exitOK {
		t.Fatalf("%s --help: exit %d", cmd, status)
	}
	flags := map[string]string{}
	for _, m := range helpFlag.FindAllStringSubmatch(out, -1) {
		flags[m[2]] = m[1]
	}
	return flags
}

// readmeSection is the README's section for a command: from its heading
// "### `wirebook CMD [SUBCOMMAND] ..." to the next heading; words are the
// command and subcommand the heading names.
func readmeSection(readme, cmd string) (section string, words []string, ok bool) {
	start := strings.Index(readme, "\n### `wirebook "+cmd+" ")
	if start < 0 {
		start = strings.Index(readme, "\n### `wirebook "+cmd+"`")
	}
	if start < 0 {
		return "", nil, false
	}
	rest := readme[start+1:]
	if end := strings.Index(rest[1:], "\n#"); end >= 0 {
		rest = rest[:end+1]
	}
	heading, _, _ := strings.Cut(strings.TrimPrefix(rest, "### `wirebook "), "`")
	for _, w := range strings.Fields(heading) {
		if !regexp.MustCompile(`^[a-z]+$`).MatchString(w) {
			break
		}
		words = append(words, w)
	}
	return rest, words, true
}

// Every flag a command's --help lists is documented in the README section
// of that command, and every flag that section names is one --help lists:
// a flag the command does not take (as `run -j` once was) shows up here.
func TestReadmeDocumentsExactlyTheFlagsOfEachCommand(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, c := range commands() {
		if c.name == "version" {
			continue
		}
		section, words, ok := readmeSection(readme, c.name)
		if !ok {
			t.Errorf("README.md has no section \"### `wirebook %s ...`\"", c.name)
			continue
		}
		flags := helpFlags(t, words...)
		shorts := map[string]bool{}
		for long, short := range flags {
			if short != "" {
				shorts[short] = true
			}
			if !strings.Contains(section, "`--"+long) && (short == "" || !strings.Contains(section, "`-"+short)) {
				t.Errorf("README.md's section on wirebook %s does not document --%s", c.name, long)
			}
		}
		for _, m := range readmeFlag.FindAllStringSubmatch(section, -1) {
			name := m[1]
			if long, ok := strings.CutPrefix(name, "--"); ok {
				if _, known := flags[long]; !known {
					t.Errorf("README.md's section on wirebook %s names %s, which %s --help does not list", c.name, name, c.name)
				}
			} else if !shorts[strings.TrimPrefix(name, "-")] {
				t.Errorf("README.md's section on wirebook %s names %s, which %s --help does not list", c.name, name, c.name)
			}
		}
	}
}

// run runs one lab, its blocks in order: it takes no -j.
func TestRunTakesNoJobsFlag(t *testing.T) {
	if _, listed := helpFlags(t, "run")["jobs"]; listed {
		t.Errorf("run --help lists --jobs")
	}
	inTempCourse(t, map[string]string{"small.md": smallLab})
	if status, _, _ := runCLI(t, nil, "", "run", "-j", "2", "labs/small.md"); status != exitUsage {
		t.Errorf("run -j 2: exit %d, want %d (a usage error)", status, exitUsage)
	}
	for _, cmd := range []string{"build", "check", "update", "serve"} {
		if _, listed := helpFlags(t, cmd)["jobs"]; !listed {
			t.Errorf("%s --help does not list --jobs, which it honours", cmd)
		}
	}
}

// The commands the README shows exist: each `make X` is a Makefile
// target, each `wirebook X` a command, and each lab a command is run on is
// in the course.
func TestReadmeCommandsExist(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, c := range commands() {
		known[c.name] = true
	}
	// Commands are in `code`, after a "$ " prompt, or lines of ```sh blocks
	// (only the "$ " lines when a block shows output too).
	var shown []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		if !strings.Contains(m[1], "$ ") {
			shown = append(shown, strings.Split(m[1], "\n")...)
		}
	}
	shown = append(shown, regexp.MustCompile("(?m)(?:^\\$ |`)[^`\n]*").FindAllString(string(readme), -1)...)
	for _, m := range regexp.MustCompile("(?m)(?:^|^\\$ |`)make ([a-z]+)").FindAllStringSubmatch(strings.Join(shown, "\n"), -1) {
		if !regexp.MustCompile(`(?m)^` + m[1] + `:`).Match(makefile) {
			t.Errorf("README.md shows `make %s`, which the Makefile has no target for", m[1])
		}
	}
	for _, m := range regexp.MustCompile("(?m)(?:^|^\\$ |`)(?:bin/)?wirebook ([a-z]+)([^`\n]*)").FindAllStringSubmatch(strings.Join(shown, "\n"), -1) {
		if !known[m[1]] {
			t.Errorf("README.md shows `wirebook %s`, which is no command", m[1])
		}
		for _, lab := range regexp.MustCompile(`\blabs/[A-Za-z0-9_-]+\.md\b`).FindAllString(m[2], -1) {
			if _, err := os.Stat("../../" + lab); err != nil {
				t.Errorf("README.md runs wirebook %s on %s, which is not in the course", m[1], lab)
			}
		}
	}
}

// The README's example lab gives, against the embedded servers, exactly
// the transcript the README shows for it.
func TestReadmeExampleTranscriptIsWhatTheServerSays(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	_, rest, ok := strings.Cut(readme, "````markdown\n")
	if !ok {
		t.Fatal("README.md has no example lab (a ````markdown block)")
	}
	example, rest, _ := strings.Cut(rest, "````\n")
	_, rest, _ = strings.Cut(rest, "```\n")
	shown, _, _ := strings.Cut(rest, "```\n")
	dir := inTempCourse(t, map[string]string{"example.md": example})
	status, out, stderr := runCLI(t, map[string]string{"NO_COLOR": "1"}, "", "update", "labs")
	if status != exitOK {
		t.Fatalf("update of the README's example: exit %d\n%s%s", status, out, stderr)
	}
	got, _ := os.ReadFile(dir + "/labs/example.md")
	_, block, _ := strings.Cut(string(got), "```smtp\n")
	block, _, _ = strings.Cut(block, "```")
	if block != shown {
		t.Errorf("README.md shows for its example lab:\n%s\nthe embedded servers give:\n%s", shown, block)
	}
}
