package repl

import (
	"bufio"
	"bytes"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

//go:embed driver.py
var driver []byte

// Config says how to start an interpreter or a shell.
type Config struct {
	Program string   // "python3" or "bash" when empty; looked up in PATH
	Dir     string   // working directory
	Env     []string // the whole environment of the process
}

// Python is one running interactive interpreter. Its methods are not safe
// for concurrent use: a lab's statements run one after the other.
type Python struct {
	cmd     *exec.Cmd
	req     io.WriteCloser
	resp    *bufio.Reader
	lines   chan lineOrErr
	out     *outputReader
	outR    *os.File
	version string
	dead    error // set once the interpreter can take no more statements
	waitErr chan error
}

type lineOrErr struct {
	line []byte
	err  error
}

// Result is what one statement did.
type Result struct {
	Output     string // fds 1 and 2 (Python's and its child processes'), as written
	Raised     bool   // an exception was shown (a traceback or a syntax error)
	Incomplete bool   // the statement needs more lines, as the prompt's "... "
	Truncated  bool   // the output limit stopped it
	TimedOut   bool   // the deadline stopped it (KeyboardInterrupt)
	Exited     bool   // it ended the interpreter (exit(), SystemExit)
}

// ErrNotFound is returned when the program is not installed.
var ErrNotFound = errors.New("not found in PATH")

// StartPython starts python3 with the driver, and waits until it is ready.
func StartPython(cfg Config) (*Python, error) {
	prog := cfg.Program
	if prog == "" {
		prog = "python3"
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prog, ErrNotFound)
	}
	// The mark that ends each statement's output: random per run, so no
	// output has it by chance.
	var salt [16]byte
	_, _ = rand.Read(salt[:])
	mark := "[wirebook-end-" + hex.EncodeToString(salt[:]) + "]"
	// -u: nothing is left in a buffer when the deadline stops a statement;
	// -I would hide PYTHONHASHSEED, so -E -s are not used either: the
	// environment is ours to give. The mark travels in argv, not in the
	// environment the code's programs inherit.
	cmd := exec.Command(path, "-u", "-c", string(driver), mark)
	cmd.Dir, cmd.Env = cfg.Dir, cfg.Env
	setProcessGroup(cmd)
	var pipes []*os.File
	closeAll := func() {
		for _, f := range pipes {
			f.Close()
		}
	}
	for range 3 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll()
			return nil, err
		}
		pipes = append(pipes, r, w)
	}
	reqR, reqW, respR, respW, outR, outW := pipes[0], pipes[1], pipes[2], pipes[3], pipes[4], pipes[5]
	cmd.ExtraFiles = []*os.File{reqR, respW} // fd 3 and fd 4
	// fds 1 and 2 are one pipe: the kernel keeps the order of all writes,
	// Python's own and its child processes'. stdin stays empty.
	cmd.Stdout, cmd.Stderr = outW, outW
	p := &Python{cmd: cmd, req: reqW, outR: outR, lines: make(chan lineOrErr, 1), waitErr: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("%s: %v", prog, err)
	}
	reqR.Close()
	respW.Close()
	outW.Close()
	p.resp = bufio.NewReaderSize(respR, 64<<10)
	// Before the first statement the pipe carries only the driver's own
	// failures.
	p.out = newOutputReader(outR, mark, 64<<10)
	go func() { p.waitErr <- cmd.Wait() }()
	var hello struct {
		Version string `json:"version"`
	}
	if err := p.receive(&hello, 30*time.Second, 4096); err != nil {
		p.Close()
		return nil, err
	}
	p.version = hello.Version
	return p, nil
}

// Version is the interpreter's version, such as "3.11.7".
func (p *Python) Version() string { return p.version }

// Define sets names in the interpreter's namespace before any statement:
// values from names, and for each name in env the value of the
// environment variable it maps to (secrets travel that way, never in a
// request).
func (p *Python) Define(names map[string]any, env map[string]string) error {
	if err := p.send(map[string]any{"op": "define", "names": names, "env": env}); err != nil {
		return err
	}
	var ack struct{}
	return p.receive(&ack, 10*time.Second, 4096)
}

// Run runs one statement (its lines joined with "\n", prompts removed). A
// statement that is still running at the deadline, or that prints more
// than limit bytes, is interrupted as Ctrl-C would (KeyboardInterrupt, sent
// to the interpreter and the programs it started); one that goes on anyway
// is killed, and the interpreter with it.
func (p *Python) Run(source string, timeout time.Duration, limit int) (Result, error) {
	if p.dead != nil {
		return Result{}, p.dead
	}
	if limit <= 0 {
		limit = 1 << 20
	}
	p.out.setLimit(limit)
	if err := p.send(map[string]any{"op": "run", "source": source, "limit": limit}); err != nil {
		return Result{}, err
	}
	var r struct {
		Raised     bool   `json:"raised"`
		Incomplete bool   `json:"incomplete"`
		Truncated  bool   `json:"truncated"`
		Exited     bool   `json:"exited"`
		Fatal      string `json:"fatal"`
	}
	go p.readResponse(64 << 10)
	var res Result
	var seg *segment
	gotResponse := false
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var grace <-chan time.Time
	stop := func() {
		if grace == nil {
			p.interrupt()
			grace = time.After(3 * time.Second)
		}
	}
	segs := p.out.segs
	var err error
	for err == nil && (!gotResponse || seg == nil) {
		select {
		case got := <-p.lines:
			gotResponse = true
			if got.err != nil {
				p.kill()
				err = p.fail(fmt.Errorf("python3: %v%s", got.err, p.driverOutput()))
			} else if jerr := json.Unmarshal(got.line, &r); jerr != nil {
				err = p.fail(fmt.Errorf("python driver: bad response: %v", jerr))
			}
		case s, ok := <-segs:
			if !ok {
				s.eof = true
			}
			seg = &s
			if s.eof {
				// The driver keeps a descriptor of the pipe: it is gone.
				// Its response pipe says so.
				segs = nil
			}
		case <-p.out.overCh:
			res.Truncated = true
			stop()
		case <-timer.C:
			res.TimedOut = true
			stop()
		case <-grace:
			p.kill()
			what := fmt.Sprintf("still running after %v and an interrupt", timeout)
			if !res.TimedOut {
				what = fmt.Sprintf("still printing after %d bytes and an interrupt", limit)
			}
			err = p.fail(fmt.Errorf("%s; python3 was stopped", what))
		}
	}
	if seg != nil {
		res.Output = string(seg.data)
		res.Truncated = res.Truncated || seg.over
	} else {
		res.Output = string(p.out.partial())
	}
	if err != nil {
		return res, err
	}
	if r.Fatal != "" {
		return res, p.fail(errors.New("python driver: " + r.Fatal))
	}
	res.Raised, res.Incomplete, res.Exited = r.Raised, r.Incomplete, r.Exited
	res.Truncated = res.Truncated || r.Truncated
	if r.Exited {
		p.dead = errors.New("the Python session has ended (exit() or SystemExit in an earlier statement)")
	}
	return res, nil
}

// readResponse reads one response line for whoever waits on p.lines.
func (p *Python) readResponse(maxLine int) {
	line, err := readLine(p.resp, maxLine)
	p.lines <- lineOrErr{line, err}
}

func (p *Python) send(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := p.req.Write(append(data, '\n')); err != nil {
		return p.fail(fmt.Errorf("python3 stopped: %v%s", err, p.driverOutput()))
	}
	return nil
}

// receive reads one response of the driver's own (not a statement's):
// one that does not come in time means the interpreter is stuck.
func (p *Python) receive(v any, timeout time.Duration, maxLine int) error {
	go p.readResponse(maxLine)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var got lineOrErr
	select {
	case got = <-p.lines:
	case <-timer.C:
		p.kill()
		<-p.lines
		return p.fail(fmt.Errorf("python3 did not answer within %v%s", timeout, p.driverOutput()))
	}
	if got.err != nil {
		p.kill()
		return p.fail(fmt.Errorf("python3: %v%s", got.err, p.driverOutput()))
	}
	if err := json.Unmarshal(got.line, v); err != nil {
		return p.fail(fmt.Errorf("python driver: bad response: %v", err))
	}
	return nil
}

func (p *Python) fail(err error) error {
	if p.dead == nil {
		p.dead = err
	}
	return err
}

func (p *Python) driverOutput() string {
	s := strings.TrimSpace(string(p.out.partial()))
	if s == "" {
		return ""
	}
	return ": " + s
}

// Close ends the interpreter and everything it started.
func (p *Python) Close() error {
	p.req.Close()
	select {
	case <-p.waitErr:
	case <-time.After(2 * time.Second):
		p.kill()
		<-p.waitErr
	}
	killGroup(p.cmd)
	// A program that left the process group may still hold the output
	// pipe; closing our end ends the reader.
	p.outR.Close()
	return nil
}

func (p *Python) interrupt() { interruptProcess(p.cmd) }

func (p *Python) kill() { killGroup(p.cmd) }

var errLineTooLong = errors.New("response larger than the output limit allows")

// readLine reads up to '\n', refusing lines longer than max.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(buf)+len(chunk) > max {
			return nil, errLineTooLong
		}
		buf = append(buf, chunk...)
		if err == nil {
			return bytes.TrimSuffix(buf, []byte("\n")), nil
		}
		if err != bufio.ErrBufferFull {
			if err == io.EOF {
				return nil, errors.New("the interpreter ended unexpectedly")
			}
			return nil, err
		}
	}
}

// boundedBuffer keeps the first max bytes written to it.
type boundedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		if len(p) > room {
			b.buf.Write(p[:room])
		} else {
			b.buf.Write(p)
		}
	}
	return len(p), nil
}

func (b *boundedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
