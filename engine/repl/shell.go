package repl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Command is what one console command printed.
type Command struct {
	Output string
	Status int  // exit status
	Ran    bool // false for commands after the one that was stopped
}

// ShellResult is what a console block's commands did.
type ShellResult struct {
	Commands  []Command
	TimedOut  bool // the deadline stopped the shell
	Truncated bool // the output limit stopped the shell
	Version   string
}

// RunShell runs commands, one after the other, in one bash (so cd and
// variables carry over, as at a prompt), stdout and stderr interleaved.
// stdin is empty. At the deadline or beyond limit bytes of output the
// shell and everything it started are killed.
func RunShell(ctx context.Context, cfg Config, commands []string, timeout time.Duration, limit int) (ShellResult, error) {
	prog := cfg.Program
	if prog == "" {
		prog = "bash"
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return ShellResult{}, fmt.Errorf("%s: %w", prog, ErrNotFound)
	}
	if limit <= 0 {
		limit = 1 << 20
	}
	// A marker no command prints by chance separates the outputs and
	// carries each exit status.
	var salt [8]byte
	_, _ = rand.Read(salt[:])
	marker := "WIREBOOK" + hex.EncodeToString(salt[:])
	var script strings.Builder
	for i, c := range commands {
		fmt.Fprintf(&script, "%s\nprintf '\\n%s %d %%d\\n' \"$?\"\n", c, marker, i)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.Command(path, "--noprofile", "--norc", "-c", script.String())
	cmd.Dir, cmd.Env = cfg.Dir, cfg.Env
	setProcessGroup(cmd)
	// A command left running in the background ("server &") keeps the
	// output pipe open; once bash has exited, do not wait for it.
	cmd.WaitDelay = 500 * time.Millisecond
	out := &limitWriter{max: limit, over: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return ShellResult{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var res ShellResult
	select {
	case <-done:
	case <-ctx.Done():
		res.TimedOut = true
		killGroup(cmd)
		<-done
	case <-out.over:
		res.Truncated = true
		killGroup(cmd)
		<-done
	}
	killGroup(cmd) // whatever a command left running in the background
	var stopped int
	res.Commands, stopped = splitMarked(out.String(), marker, len(commands))
	if stopped >= 0 && !res.TimedOut && !res.Truncated && cmd.ProcessState != nil {
		res.Commands[stopped].Status = cmd.ProcessState.ExitCode() // "exit 3" ends the shell
	}
	return res, nil
}

// splitMarked cuts the shell's output at the markers; stopped is the
// command after which no marker came (-1 when all came).
func splitMarked(all, marker string, n int) (cmds []Command, stopped int) {
	cmds = make([]Command, n)
	rest := all
	for i := 0; i < n; i++ {
		sep := "\n" + marker + " " + strconv.Itoa(i) + " "
		k := strings.Index(rest, sep)
		if k < 0 {
			cmds[i] = Command{Output: rest, Ran: true} // stopped in this command
			return cmds, i
		}
		statusLine := rest[k+len(sep):]
		end := strings.IndexByte(statusLine, '\n')
		if end < 0 {
			end = len(statusLine)
		}
		st, _ := strconv.Atoi(statusLine[:end])
		cmds[i] = Command{Output: rest[:k], Status: st, Ran: true}
		rest = statusLine[min(end+1, len(statusLine)):]
	}
	return cmds, -1
}

// limitWriter keeps up to max bytes and signals once when more come.
type limitWriter struct {
	boundedBuffer
	max      int
	over     chan struct{}
	overDone bool
}

func (w *limitWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	room := w.max - w.buf.Len()
	if len(p) > room {
		w.buf.Write(p[:max(room, 0)])
		if !w.overDone {
			w.overDone = true
			close(w.over)
		}
		w.mu.Unlock()
		return len(p), nil
	}
	w.buf.Write(p)
	w.mu.Unlock()
	return len(p), nil
}

// PythonVersion is python3's version ("3.11.7"), "" when it is missing.
func PythonVersion(program string) string {
	return strings.TrimPrefix(versionLine(program, "python3"), "Python ")
}

// BashVersion is the first line of bash --version, "" when bash is missing.
func BashVersion(program string) string { return versionLine(program, "bash") }

func versionLine(program, def string) string {
	if program == "" {
		program = def
	}
	out, err := exec.Command(program, "--version").Output()
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first)
}
