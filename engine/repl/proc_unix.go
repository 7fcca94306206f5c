//go:build unix

package repl

import (
	"os/exec"
	"syscall"
)

// setProcessGroup gives the child its own process group, so that a
// deadline can stop it and everything it started, and a Ctrl-C in
// wirebook's terminal is not also taken as one by the lab's code.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// interruptProcess is Ctrl-C at a terminal: SIGINT to the whole
// foreground group, so a program the code started (os.system("yes"))
// stops too, not only the interpreter waiting for it.
func interruptProcess(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	}
}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
