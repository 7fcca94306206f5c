package repl

import (
	"bufio"
	"bytes"
	_ "embed"
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
	stderr  *boundedBuffer
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
	Output     string // stdout and stderr, interleaved as written
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
	// -u: nothing is left in a buffer when the deadline stops a statement;
	// -I would hide PYTHONHASHSEED, so -E -s are not used either: the
	// environment is ours to give.
	cmd := exec.Command(path, "-u", "-c", string(driver))
	cmd.Dir, cmd.Env = cfg.Dir, cfg.Env
	setProcessGroup(cmd)
	cmd.WaitDelay = 500 * time.Millisecond // children of the code may hold stderr open
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	respR, respW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, err
	}
	cmd.ExtraFiles = []*os.File{reqR, respW} // fd 3 and fd 4
	p := &Python{cmd: cmd, req: reqW, stderr: &boundedBuffer{max: 64 << 10}, lines: make(chan lineOrErr, 1), waitErr: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.stderr, p.stderr // only the driver's own failures
	if err := cmd.Start(); err != nil {
		reqR.Close()
		reqW.Close()
		respR.Close()
		respW.Close()
		return nil, fmt.Errorf("%s: %v", prog, err)
	}
	reqR.Close()
	respW.Close()
	p.resp = bufio.NewReaderSize(respR, 64<<10)
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
// statement that is still running at the deadline is interrupted as Ctrl-C
// would (KeyboardInterrupt); one that ignores that is killed, and the
// interpreter with it. limit bounds the statement's output in characters.
func (p *Python) Run(source string, timeout time.Duration, limit int) (Result, error) {
	if p.dead != nil {
		return Result{}, p.dead
	}
	if limit <= 0 {
		limit = 1 << 20
	}
	if err := p.send(map[string]any{"op": "run", "source": source, "limit": limit}); err != nil {
		return Result{}, err
	}
	var r struct {
		Out        string `json:"out"`
		Raised     bool   `json:"raised"`
		Incomplete bool   `json:"incomplete"`
		Truncated  bool   `json:"truncated"`
		Exited     bool   `json:"exited"`
		Fatal      string `json:"fatal"`
	}
	// A response is JSON: each character may take six bytes.
	maxLine := 6*limit + 4096
	timedOut := false
	err := p.receiveTimed(&r, timeout, maxLine, func() {
		timedOut = true
		p.interrupt()
	})
	if err != nil {
		return Result{TimedOut: timedOut}, err
	}
	if r.Fatal != "" {
		return Result{}, p.fail(errors.New("python driver: " + r.Fatal))
	}
	res := Result{Output: r.Out, Raised: r.Raised, Incomplete: r.Incomplete, Truncated: r.Truncated, TimedOut: timedOut, Exited: r.Exited}
	if r.Exited {
		p.dead = errors.New("the Python session has ended (exit() or SystemExit in an earlier statement)")
	}
	return res, nil
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

func (p *Python) receive(v any, timeout time.Duration, maxLine int) error {
	return p.receiveTimed(v, timeout, maxLine, nil)
}

// receiveTimed reads one response. At the timeout onTimeout is called (it
// interrupts the statement) and a grace period starts; when that ends
// too, the interpreter is killed.
func (p *Python) receiveTimed(v any, timeout time.Duration, maxLine int, onTimeout func()) error {
	go func() {
		line, err := readLine(p.resp, maxLine)
		p.lines <- lineOrErr{line, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var got lineOrErr
	select {
	case got = <-p.lines:
	case <-timer.C:
		if onTimeout == nil {
			p.kill()
			<-p.lines
			return p.fail(fmt.Errorf("python3 did not answer within %v", timeout))
		}
		onTimeout()
		grace := time.NewTimer(3 * time.Second)
		defer grace.Stop()
		select {
		case got = <-p.lines:
		case <-grace.C:
			p.kill()
			<-p.lines
			return p.fail(fmt.Errorf("still running after %v and an interrupt; python3 was stopped", timeout))
		}
	}
	if got.err != nil {
		if errors.Is(got.err, errLineTooLong) {
			p.kill()
		}
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
	s := strings.TrimSpace(p.stderr.String())
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
