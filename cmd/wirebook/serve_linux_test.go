package main

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"unsafe"
)

// openTerminal opens the terminal side of a new pseudo-terminal (Linux).
func openTerminal(t *testing.T) *os.File {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptm.Close() })
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptm.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatal("unlocking the pseudo-terminal:", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptm.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatal("naming the pseudo-terminal:", e)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pts.Close() })
	return pts
}

// Colour only on a terminal, never with NO_COLOR; a coloured message has
// every line coloured and reset.
func TestServeColour(t *testing.T) {
	pipeR, pipeW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pipeR.Close()
	defer pipeW.Close()
	tty := openTerminal(t)
	none := func(string) (string, bool) { return "", false }
	noColor := func(k string) (string, bool) { return "", k == "NO_COLOR" }
	for _, tc := range []struct {
		name   string
		w      *os.File
		lookup func(string) (string, bool)
		want   bool
	}{
		{"terminal", tty, none, true},
		{"terminal with NO_COLOR", tty, noColor, false},
		{"pipe", pipeW, none, false},
	} {
		if got := colorTerminal(&cliEnv{lookupEnv: tc.lookup}, tc.w); got != tc.want {
			t.Errorf("%s: colour = %v, want %v", tc.name, got, tc.want)
		}
	}
	var errb syncBuffer
	p := &preview{env: &cliEnv{stderr: &errb}, colorErr: true}
	p.say(true, ansiRed, "a.md:1: one\na.md:2: two\n")
	if got, want := errb.String(), "\x1b[31ma.md:1: one\x1b[0m\n\x1b[31ma.md:2: two\x1b[0m\n"; got != want {
		t.Errorf("coloured output %q, want %q", got, want)
	}
}
