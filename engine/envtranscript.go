package engine

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/internal/atomicfile"
)

// An environment whose servers word things their own way (real Postfix,
// Dovecot, nginx) keeps its expected transcripts beside the labs, one small
// text file per lab (docs/configuration.md): only the server side of each
// block, keyed by the block's position and a hash of what it sends. The
// prose and the client lines are always the lab's own, so a page never
// shows a stale copy of them; a block whose client lines changed no longer
// matches its entry and is reported as needing an update, never matched
// to another block's lines.

// envFileExt is the extension of an environment transcript file.
const envFileExt = ".txt"

// envBlock is one block's entry in an environment transcript file.
type envBlock struct {
	Index    int // 0-based block index in the lab
	Proto    string
	Hash     string    // blockHash of the block it was recorded for
	Captured time.Time // when its lines were captured
	// Groups holds the written server side ("S: ...", "N: ..."): Groups[k]
	// follows the block's k-th client line (0: before the first).
	Groups map[int][]string
	Line   int // the entry's header line in the file
}

// envFile is an environment's transcript of one lab.
type envFile struct {
	Path   string
	Blocks map[int]*envBlock
}

const envHeader = `# wirebook environment transcript: the server side of each session block of
# %s, as this environment's servers answer it. Written by
# 'wirebook update --env NAME', compared by 'wirebook check --env NAME'.
# Prose and client lines are the lab's: "after C3" starts the lines that
# follow the block's third client line. An entry whose hash no longer
# matches the block's client lines is reported as needing an update.
`

// readEnvFile parses an environment transcript; a missing file is empty.
func readEnvFile(path string) (*envFile, []byte, error) {
	f := &envFile{Path: path, Blocks: map[int]*envBlock{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var cur *envBlock
	group := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	bad := func(n int, format string, args ...any) error {
		return &lab.Error{File: path, Line: n, Msg: fmt.Sprintf(format, args...)}
	}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "block "):
			b, err := parseEnvHeader(line)
			if err != nil {
				return nil, nil, bad(n, "%v", err)
			}
			if _, dup := f.Blocks[b.Index]; dup {
				return nil, nil, bad(n, "block %d appears twice", b.Index+1)
			}
			b.Line = n
			f.Blocks[b.Index], cur, group = b, b, 0
		case cur == nil:
			return nil, nil, bad(n, "%q before the first \"block\" line", truncateText(line, 40))
		case strings.HasPrefix(line, "after C"):
			k, err := strconv.Atoi(strings.TrimPrefix(line, "after C"))
			if err != nil || k <= group {
				return nil, nil, bad(n, "%q: want \"after CN\" with N growing within a block", line)
			}
			group = k
		case strings.HasPrefix(line, "S:") || strings.HasPrefix(line, "N:"):
			cur.Groups[group] = append(cur.Groups[group], line)
		default:
			return nil, nil, bad(n, "%q: an environment transcript holds only S: and N: lines", truncateText(line, 40))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, data, nil
}

// parseEnvHeader reads "block 2 smtp HASH captured 2026-12-01T20:41:07Z".
func parseEnvHeader(line string) (*envBlock, error) {
	f := strings.Fields(line)
	if len(f) != 4 && !(len(f) == 6 && f[4] == "captured") {
		return nil, fmt.Errorf("%q: want \"block N PROTOCOL HASH captured TIME\"", line)
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 1 {
		return nil, fmt.Errorf("%q: block number %q", line, f[1])
	}
	b := &envBlock{Index: n - 1, Proto: f[2], Hash: f[3], Groups: map[int][]string{}}
	if len(f) == 6 {
		if b.Captured, err = time.Parse(time.RFC3339, f[5]); err != nil {
			return nil, fmt.Errorf("%q: capture time: %v", line, err)
		}
	}
	return b, nil
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// format writes the file; blocks in order.
func (f *envFile) format(labPath string, blocks int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, envHeader, filepath.ToSlash(labPath))
	for i := 0; i < blocks; i++ {
		eb := f.Blocks[i]
		if eb == nil {
			continue
		}
		fmt.Fprintf(&b, "\nblock %d %s %s", eb.Index+1, eb.Proto, eb.Hash)
		if !eb.Captured.IsZero() {
			fmt.Fprintf(&b, " captured %s", eb.Captured.UTC().Format(time.RFC3339))
		}
		b.WriteByte('\n')
		for _, k := range eb.groupKeys() {
			if k > 0 {
				fmt.Fprintf(&b, "after C%d\n", k)
			}
			for _, l := range eb.Groups[k] {
				b.WriteString(l)
				b.WriteByte('\n')
			}
		}
	}
	return []byte(b.String())
}

func (eb *envBlock) groupKeys() []int {
	max := -1
	for k := range eb.Groups {
		if k > max {
			max = k
		}
	}
	var out []int
	for k := 0; k <= max; k++ {
		if len(eb.Groups[k]) > 0 {
			out = append(out, k)
		}
	}
	return out
}

// envLab is a lab as an environment runs it: the lab's prose and client
// lines with the environment's server side in place of the lab's. A block
// the environment has no usable entry for keeps the lab's own S: lines:
// what every environment is expected to say unless it records its own.
type envLab struct {
	file  *envFile
	disk  []byte // the file as read; nil when it does not exist
	lab   *lab.Lab
	stale map[int]string // block index: why it has no entry (it keeps the lab's own lines)
	parse func(path string, src []byte) (*lab.Lab, error)
}

// environmentLab builds the lab the environment checks: each block keeps
// the lab's client and blank lines, its S:/N: lines are the environment's
// entry for it when that was recorded for the same client lines.
func (e *Engine) environmentLab(l *lab.Lab) (*envLab, error) {
	path := e.envTranscriptPath(l.Path)
	f, disk, err := readEnvFile(path)
	if err != nil {
		return nil, err
	}
	env := &envLab{file: f, disk: disk, stale: map[int]string{}, parse: e.parse}
	// The merged source: same prose, each block body rebuilt. origin maps
	// each of its lines to the lab line it stands for (an inserted server
	// line: the client line it follows), so reports point into the lab.
	var out bytes.Buffer
	origin := []int{0}
	labLine := func(off int) int { return 1 + bytes.Count(l.Source[:off], []byte("\n")) }
	emit := func(text string, from int) {
		out.WriteString(text)
		for i := 0; i < strings.Count(text, "\n"); i++ {
			origin = append(origin, from+i)
		}
	}
	at := 0
	for _, b := range l.Blocks {
		emit(string(l.Source[at:b.BodyStart]), labLine(at))
		eb := f.Blocks[b.Index]
		switch {
		case eb == nil:
			env.stale[b.Index] = path + " has no entry for this block"
		case eb.Hash != blockHash(b) || eb.Proto != b.Proto:
			env.stale[b.Index] = fmt.Sprintf("%s:%d: the entry for this block was recorded for other client lines", path, eb.Line)
			eb = nil
		}
		eol := "\n"
		if b.BodyStart >= 2 && string(l.Source[b.BodyStart-2:b.BodyStart]) == "\r\n" {
			eol = "\r\n"
		}
		insert := func(k, anchor int) {
			if eb == nil {
				return
			}
			for _, s := range eb.Groups[k] {
				if b.Exec != "" {
					// Output of code is written as printed, without "S: ".
					s = strings.TrimPrefix(strings.TrimPrefix(s, "S:"), " ")
				}
				emit(b.Prefix+s+eol, anchor)
			}
		}
		insert(0, b.Line)
		k := 0
		for _, ln := range b.Lines {
			if (ln.Kind == lab.Server || ln.Kind == lab.Note) && eb != nil {
				continue // the environment's entry replaces the lab's server side
			}
			raw := string(l.Source[ln.Start:ln.End])
			if !strings.HasSuffix(raw, "\n") {
				raw += eol
			}
			emit(raw, ln.Num)
			if ln.Kind == lab.Client || ln.Kind == lab.Pipelined {
				k++
				insert(k, ln.Num)
			}
		}
		at = b.BodyEnd
	}
	emit(string(l.Source[at:]), labLine(at))
	merged, err := e.parse(l.Path, out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(merged.Blocks) != len(l.Blocks) {
		return nil, &lab.Error{File: path, Msg: "its lines change the lab's blocks; run update again"}
	}
	at2 := func(n int) int {
		if n >= 0 && n < len(origin) {
			return origin[n]
		}
		return n
	}
	for i, b := range merged.Blocks {
		b.Line = l.Blocks[i].Line
		for j := range b.Lines {
			b.Lines[j].Num = at2(b.Lines[j].Num)
		}
	}
	env.lab = merged
	return env, nil
}

// captured is when the entry used for block i was recorded.
func (env *envLab) captured(i int) time.Time {
	if _, stale := env.stale[i]; stale {
		return time.Time{}
	}
	if eb := env.file.Blocks[i]; eb != nil {
		return eb.Captured
	}
	return time.Time{}
}

// explain notes, for each block that has no usable entry, why and what to
// do.
func (env *envLab) explain(r *LabResult) {
	for _, s := range r.Sessions {
		if why, ok := env.stale[s.Block.Index]; ok && s.Status != StatusOffline {
			s.Note = why + "; run 'wirebook update' with this --env to record it"
			if s.Status != StatusCaptured {
				s.Note += " (until then the lab's own S: lines are the expectation)"
			}
		}
	}
}

// usesLab reports whether block i was compared with the lab's own lines.
func (env *envLab) usesLab(i int) bool {
	_, ok := env.stale[i]
	return ok
}

// writeEnvUpdate writes the environment transcript for a lab run with the
// given blocks rewritten; the other entries stay as they were.
func writeEnvUpdate(r *LabResult, changes []BlockUpdate) error {
	env := r.env
	merged, err := env.parse(env.lab.Path, Apply(env.lab.Source, changes))
	if err != nil {
		return err
	}
	next := &envFile{Path: env.file.Path, Blocks: map[int]*envBlock{}}
	for i, eb := range env.file.Blocks {
		if i < len(r.Lab.Blocks) {
			next.Blocks[i] = eb
		}
	}
	for _, c := range changes {
		i := c.Session.Block.Index
		if i >= len(merged.Blocks) {
			continue
		}
		b := merged.Blocks[i]
		eb := &envBlock{Index: i, Proto: b.Proto, Hash: blockHash(b), Captured: c.Session.When, Groups: map[int][]string{}}
		k := 0
		for _, ln := range b.Lines {
			switch ln.Kind {
			case lab.Client, lab.Pipelined:
				k++
			case lab.Server, lab.Note:
				mark := "S:"
				if ln.Kind == lab.Note {
					mark = "N:"
				}
				if ln.Text != "" {
					mark += " " + ln.Text
				}
				eb.Groups[k] = append(eb.Groups[k], mark)
			}
		}
		next.Blocks[i] = eb
	}
	data := next.format(r.Lab.Path, len(r.Lab.Blocks))
	if env.disk == nil {
		if _, err := os.Stat(env.file.Path); err == nil {
			return fmt.Errorf("%s: %w", env.file.Path, ErrChangedOnDisk)
		}
		if err := os.MkdirAll(filepath.Dir(env.file.Path), 0o755); err != nil {
			return err
		}
		return atomicfile.Write(env.file.Path, data, 0o644)
	}
	return WriteLab(env.file.Path, env.disk, data)
}
