// Package lab reads a Markdown lab: its YAML front matter and its session
// blocks (fenced code blocks whose info string names a protocol), keeping
// every byte of the source so a lab can be printed back unchanged and
// updated in place.
package lab

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"go.yaml.in/yaml/v3"
)

// Error is a problem in a lab file, with its position.
type Error struct {
	File string
	Line int
	Msg  string
	// Warning marks something that runs but is almost surely wrong; it is
	// printed "file:line: warning: ..." and fails only under check --strict.
	Warning bool
}

func (e *Error) Error() string {
	msg := e.Msg
	if e.Warning {
		msg = "warning: " + msg
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
	}
	return fmt.Sprintf("%s: %s", e.File, msg)
}

// ErrorList is every problem found in one lab, in line order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Lab is one parsed lab file.
type Lab struct {
	Path   string
	Source []byte // the file exactly as read
	Front  FrontMatter
	Blocks []*Block // session blocks in document order
	// Markdown is Source with the front matter blanked out (same length and
	// line numbers), ready for goldmark.
	Markdown []byte
	// Doc is Markdown's syntax tree as MarkdownParser makes it, so that a
	// page is not parsed twice (render uses it).
	Doc ast.Node
}

// FrontMatter is the YAML header of a lab.
type FrontMatter struct {
	Title    string                 `yaml:"title"`
	Summary  string                 `yaml:"summary"`
	Order    int                    `yaml:"order"`
	Servers  map[string]ServerEntry `yaml:"servers"`
	Fixtures []Fixture              `yaml:"fixtures"`
	Vars     map[string]string      `yaml:"vars"`
	Masks    []string               `yaml:"masks"`    // optional masks to switch on, e.g. uidnext
	Secrets  []string               `yaml:"secrets"`  // names of vars or environment variables to treat as secret
	Limits   map[string]string      `yaml:"limits"`   // resource limits by name (line_bytes, block_deadline, ...)
	WebRoot  string                 `yaml:"web_root"` // static files for the embedded web server, beside the lab
}

// Fixture seeds a mailbox of the embedded store before the lab runs.
type Fixture struct {
	User    string   `yaml:"user"`
	Mailbox string   `yaml:"mailbox"` // default INBOX; created if missing
	File    string   `yaml:"file"`    // .eml beside the lab; empty for an empty folder
	Flags   []string `yaml:"flags"`
}

// ServerEntry configures a server used by the lab's blocks. Written either
// as a word ("embedded") or a URL ("smtp://mail.example.org:587"), or as a
// mapping with the fields below.
type ServerEntry struct {
	Embedded bool `yaml:"embedded"`
	// Local is the lab servers a student keeps running (`wirebook
	// servers`), written as the word "local".
	Local    bool              `yaml:"local"`
	URL      string            `yaml:"url"`
	Host     string            `yaml:"host"`
	Ports    map[string]int    `yaml:"ports"`
	TLS      string            `yaml:"tls"` // "", "implicit"
	CAFile   string            `yaml:"ca"`
	Insecure bool              `yaml:"insecure"`
	User     string            `yaml:"user"`
	Password string            `yaml:"password"`
	Vars     map[string]string `yaml:"vars"`
}

// UnmarshalYAML accepts the short scalar forms.
func (s *ServerEntry) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		v := strings.TrimSpace(n.Value)
		if v == "" || v == "embedded" {
			*s = ServerEntry{Embedded: true}
			return nil
		}
		if v == "local" {
			*s = ServerEntry{Local: true}
			return nil
		}
		if strings.Contains(v, "://") {
			*s = ServerEntry{URL: v}
			return nil
		}
		return fmt.Errorf("line %d: server must be \"embedded\", \"local\", a URL or a mapping, not %q", n.Line, v)
	}
	type plain ServerEntry
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = ServerEntry(p)
	return nil
}

// Block is one session block.
type Block struct {
	Index    int               // position among the lab's session blocks
	Proto    string            // first word of the info string, lower case
	Attrs    map[string]string // key=value attributes of the info string
	Line     int               // line of the opening fence
	Lines    []Line            // the body
	InfoText string            // the whole info string
	// Byte offsets into Source: the body lies in [BodyStart, BodyEnd);
	// BodyEnd is the start of the closing fence line (or the end of file).
	BodyStart, BodyEnd int
	// Prefix is what stands before each body line in the source (list
	// indentation, "> " of a block quote), used when lines are inserted.
	Prefix string
	// Fence info for printers: the opening fence characters.
	Fence string
	// Exec is ExecPycon, ExecConsole or ExecPython for a block the lab runs
	// as code, "" for a session block. Its prompt lines are Client lines,
	// its expected output Server lines.
	Exec string
	// Code is a "python run" block's source, and CodeLine the line of its
	// opening fence; the Block itself is the output block after it.
	Code     []Line
	CodeLine int
}

// LineKind says what a block line is.
type LineKind uint8

// Kinds of block lines.
const (
	Blank     LineKind = iota
	Client             // C:
	Pipelined          // C+
	Server             // S:
	Note               // N:
)

// Line is one line of a session block body.
type Line struct {
	Kind LineKind
	Text string // after "C: " etc.
	Num  int    // 1-based line in the file
	// Start and End are the byte offsets of the line in Source, End
	// including its line ending.
	Start, End int
}

// KnownAttrs are the attributes a session block may carry.
var KnownAttrs = map[string]string{
	"server":   "name of a server in the front matter (default: the embedded lab server)",
	"timeout":  "longest wait for the server, a Go duration such as 5s",
	"tls":      "\"implicit\" to start TLS at connect time",
	"port":     "the server's standard port to use, e.g. 587 for submission",
	"expect":   "how the block is meant to end: ok, error, or a reply class such as 5xx",
	"insecure": "\"true\" to skip certificate verification (shown on the page)",
	"id":       "a name for the block, used in reports",
	"open":     "show folded bodies unfolded (write open or open=true)",
}

// Open reports whether the block asks for its folds to be shown open.
func (b *Block) Open() bool { return b.Attrs["open"] == "true" }

// Load reads and parses a lab file.
func Load(path string, isSession func(proto string) bool) (*Lab, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src, isSession)
}

// LoadFront reads a lab's front matter and Markdown, not its blocks: what
// a build needs of every lab (order, title) before it runs the first. The
// Lab has no Doc and no Blocks; its Front is the one Load gives, and any
// error in the file is left for Load to report.
func LoadFront(path string) (*Lab, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	l, _, _ := parseFront(path, src)
	return l, nil
}

// parseFront is the part of Parse before the Markdown: the text check and
// the front matter. isText is false when src is not text, and errs then
// says why.
func parseFront(path string, src []byte) (l *Lab, errs ErrorList, isText bool) {
	l = &Lab{Path: path, Source: src}
	if errs := checkText(path, src); len(errs) > 0 {
		// Not text (a picture saved as .md): nothing in it is the author's
		// Markdown, so none of it is parsed or rendered.
		return l, errs, false
	}
	md, fm, fmLine, ok := splitFrontMatter(src)
	l.Markdown = md
	if ok {
		if err := yaml.Unmarshal(fm, &l.Front); err != nil {
			line, msg := yamlErrorLine(err)
			errs = append(errs, &Error{File: path, Line: fmLine + line, Msg: "front matter: " + msg})
		}
	} else if fmLine < 0 {
		errs = append(errs, &Error{File: path, Line: 1, Msg: "front matter: no closing \"---\" line"})
	}
	return l, errs, true
}

// Parse parses src. isSession tells which info-string words are protocols.
// It returns the lab even when errors are found, with an ErrorList.
func Parse(path string, src []byte, isSession func(proto string) bool) (*Lab, error) {
	l, errs, isText := parseFront(path, src)
	if !isText {
		return l, errs
	}
	fail := func(line int, format string, args ...any) {
		errs = append(errs, &Error{File: path, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	md := l.Markdown
	doc := markdownParser.Parse(text.NewReader(md))
	l.Doc = doc
	lines := newLineIndex(src)
	// The block lines' texts are cut from one copy of the Markdown, not
	// copied one by one.
	lines.md = string(md)
	var pendingRun *Block // a "python run" block waiting for its output block
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		fc, isFenced := n.(*ast.FencedCodeBlock)
		if !entering || !isFenced {
			if entering && n.FirstChild() != nil && n.FirstChild().Type() == ast.TypeInline {
				// Text, not blocks (a paragraph, a heading, a table
				// cell): no fence inside. Most of a lab's nodes.
				return ast.WalkSkipChildren, nil
			}
			return ast.WalkContinue, nil
		}
		info := ""
		if fc.Info != nil {
			info = string(fc.Info.Segment.Value(md))
		}
		fields := strings.Fields(info)
		if run := pendingRun; run != nil {
			pendingRun = nil
			if len(fields) != 1 || fields[0] != "output" {
				fail(run.CodeLine, "a `python run` block needs an ```output block right after it (it may be empty)")
			} else {
				run.Line = lines.line(fc.Info.Segment.Start)
				bodyOf(run, fc, src, md, lines, fail)
				l.Blocks = append(l.Blocks, run)
				return ast.WalkSkipChildren, nil
			}
		}
		if len(fields) == 0 {
			return ast.WalkContinue, nil
		}
		exec := execKind(fields)
		if exec == "" && !isSession(strings.ToLower(fields[0])) {
			return ast.WalkContinue, nil
		}
		b := &Block{Index: len(l.Blocks), Proto: strings.ToLower(fields[0]), Attrs: map[string]string{}, InfoText: info, Exec: exec}
		b.Line = lines.line(fc.Info.Segment.Start)
		known := KnownAttrs
		if exec != "" {
			known = ExecAttrs
		}
		for _, f := range fields[1:] {
			if exec == ExecPython && f == "run" {
				continue
			}
			k, v, ok := strings.Cut(f, "=")
			if f == "open" && exec == "" {
				// A bare word, like HTML's: keep the block's folds open.
				k, v, ok = "open", "true", true
			}
			if !ok || k == "" {
				fail(b.Line, "attribute %q is not key=value", f)
				continue
			}
			if _, ok := known[k]; !ok {
				fail(b.Line, "unknown attribute %q (known: %s)", k, strings.Join(sortedKeys(known), ", "))
				continue
			}
			if _, dup := b.Attrs[k]; dup {
				fail(b.Line, "attribute %q given twice", k)
			}
			b.Attrs[k] = v
		}
		if exec == ExecPython {
			// The code is kept; the block's body is the output block's.
			bodyOf(b, fc, src, md, lines, fail)
			b.Code, b.Lines, b.CodeLine = b.Lines, nil, b.Line
			for i := range b.Code {
				b.Code[i].Kind = Client
			}
			pendingRun = b
			return ast.WalkSkipChildren, nil
		}
		bodyOf(b, fc, src, md, lines, fail)
		if b.Proto != "" {
			l.Blocks = append(l.Blocks, b)
		}
		return ast.WalkSkipChildren, nil
	})
	if pendingRun != nil {
		fail(pendingRun.CodeLine, "a `python run` block needs an ```output block right after it (it may be empty)")
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return l, errs
	}
	return l, nil
}

// bodyOf fills in a block's body from its fenced code node.
func bodyOf(b *Block, fc *ast.FencedCodeBlock, src, md []byte, lines lineIndex, fail func(int, string, ...any)) {
	infoLineEnd := lines.lineEnd(fc.Info.Segment.Start)
	b.BodyStart = infoLineEnd
	openStart := lines.lineStart(fc.Info.Segment.Start)
	openLine := string(src[openStart:fc.Info.Segment.Start])
	trimmed := strings.TrimLeft(openLine, " \t>")
	b.Fence = strings.TrimRight(trimmed, " \t")
	b.Prefix = openLine[:len(openLine)-len(trimmed)]
	segs := fc.Lines()
	if segs.Len() > 0 {
		last := segs.At(segs.Len() - 1)
		b.BodyEnd = lines.lineEnd(last.Start)
	} else {
		b.BodyEnd = b.BodyStart
	}
	raw := make([]string, segs.Len())
	for i := range raw {
		seg := segs.At(i)
		if seg.Padding == 0 {
			raw[i] = strings.TrimRight(lines.md[seg.Start:seg.Stop], "\r\n")
		} else {
			raw[i] = strings.TrimRight(string(seg.Value(md)), "\r\n")
		}
	}
	var kinds []LineKind
	if b.Exec != "" {
		kinds = execLines(b.Exec, raw)
	}
	if segs.Len() > 0 {
		b.Lines = make([]Line, 0, segs.Len())
	}
	prev := 0 // the line of the segment before: the next is most often the one after it
	for i := 0; i < segs.Len(); i++ {
		seg := segs.At(i)
		var ln Line
		if kinds != nil {
			ln = Line{Kind: kinds[i], Text: raw[i]}
		} else {
			var err error
			ln, err = parseLine(raw[i])
			if err != nil {
				fail(lines.line(seg.Start), "%v", err)
			}
		}
		ln.Num, ln.Start, ln.End = lines.boundsAfter(seg.Start, prev)
		prev = ln.Num
		b.Lines = append(b.Lines, ln)
	}
}

func parseLine(s string) (Line, error) {
	if strings.TrimSpace(s) == "" {
		return Line{Kind: Blank}, nil
	}
	for _, p := range []struct {
		prefix string
		kind   LineKind
	}{{"C:", Client}, {"C+", Pipelined}, {"S:", Server}, {"N:", Note}} {
		if rest, ok := strings.CutPrefix(s, p.prefix); ok {
			rest, _ = strings.CutPrefix(rest, " ")
			return Line{Kind: p.kind, Text: rest}, nil
		}
	}
	return Line{Kind: Blank}, fmt.Errorf("session line must start with \"C:\", \"C+\", \"S:\" or \"N:\": %q", truncate(s, 40))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// splitFrontMatter returns src with a leading "---" YAML header blanked
// (spaces, newlines kept, so offsets and line numbers stay true), the YAML,
// and the line of its first YAML line. ok is false when there is no front
// matter; fmLine is -1 when one is opened but never closed.
func splitFrontMatter(src []byte) (md, fm []byte, fmLine int, ok bool) {
	first, rest, found := bytes.Cut(src, []byte("\n"))
	if !found || strings.TrimRight(string(first), "\r") != "---" {
		return src, nil, 0, false
	}
	off := len(first) + 1
	for len(rest) > 0 {
		line, next, _ := bytes.Cut(rest, []byte("\n"))
		t := strings.TrimRight(string(line), "\r")
		if t == "---" || t == "..." {
			end := off + len(line)
			md = bytes.Clone(src)
			for i := 0; i < end; i++ {
				if md[i] != '\n' && md[i] != '\r' {
					md[i] = ' '
				}
			}
			return md, src[len(first)+1 : off], 2, true
		}
		off += len(line) + 1
		rest = next
	}
	return src, nil, -1, false
}

func yamlErrorLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		_, after, _ := strings.Cut(msg, ":")
		return line - 1, strings.TrimSpace(after)
	}
	if i := strings.Index(msg, "line "); i >= 0 {
		fmt.Sscanf(msg[i:], "line %d", &line)
		if line > 0 {
			return line - 1, msg
		}
	}
	return 0, msg
}

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex struct {
	src    []byte
	starts []int
	md     string // the Markdown as a string, for block line texts
}

func newLineIndex(src []byte) lineIndex {
	starts := make([]int, 1, bytes.Count(src, []byte("\n"))+1)
	for off := 0; ; {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
		starts = append(starts, off)
	}
	return lineIndex{src: src, starts: starts}
}

// boundsAfter is line, lineStart and lineEnd of off, with one search, or
// none when off is on the line after prev (1-based; 0 for no guess).
func (x lineIndex) boundsAfter(off, prev int) (line, start, end int) {
	n := prev + 1
	if !(n >= 1 && n <= len(x.starts) && x.starts[n-1] <= off && (n == len(x.starts) || off < x.starts[n])) {
		n = x.line(off)
	}
	end = len(x.src)
	if n < len(x.starts) {
		end = x.starts[n]
	}
	return n, x.starts[n-1], end
}

func (x lineIndex) line(off int) int {
	return sort.Search(len(x.starts), func(i int) bool { return x.starts[i] > off })
}

func (x lineIndex) lineStart(off int) int { return x.starts[x.line(off)-1] }

func (x lineIndex) lineEnd(off int) int {
	n := x.line(off)
	if n < len(x.starts) {
		return x.starts[n]
	}
	return len(x.src)
}

// markdownParser is goldmark with the extensions pages are rendered with
// (tables, strikethrough, heading ids); it is safe for concurrent use.
var markdownParser = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
).Parser()

// MarkdownParser is the parser labs are read with, and pages rendered from.
func MarkdownParser() parser.Parser { return markdownParser }

// Title is the lab's title: the front matter's, or the file name.
func (l *Lab) Title() string {
	if l.Front.Title != "" {
		return l.Front.Title
	}
	base := l.Path[strings.LastIndexAny(l.Path, `/\`)+1:]
	return strings.TrimSuffix(base, ".md")
}

// Format prints the lab back. Parsing keeps every byte, so Format of an
// unchanged lab is its source exactly.
func (l *Lab) Format() []byte { return l.Source }
