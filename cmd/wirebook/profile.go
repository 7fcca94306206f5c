package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

// startProfiles writes, for the whole command, a CPU profile to
// $WIREBOOK_CPUPROFILE, a heap profile to $WIREBOOK_MEMPROFILE and an
// execution trace to $WIREBOOK_TRACE (each when set), so a slow build can
// be profiled as users run it (docs/performance.md). The returned function
// ends them; a profile that cannot be written is reported on errOut and
// does not change what the command does.
func startProfiles(getenv func(string) string, errOut io.Writer) (stop func()) {
	traceFile := startProfile(getenv, "WIREBOOK_TRACE", trace.Start, errOut)
	cpuFile := startProfile(getenv, "WIREBOOK_CPUPROFILE", pprof.StartCPUProfile, errOut)
	return func() {
		if traceFile != nil {
			trace.Stop()
			traceFile.Close()
		}
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		writeHeap := func(w io.Writer) error {
			runtime.GC()
			return pprof.Lookup("allocs").WriteTo(w, 0)
		}
		if f := startProfile(getenv, "WIREBOOK_MEMPROFILE", writeHeap, errOut); f != nil {
			f.Close()
		}
	}
}

// startProfile creates the file the variable name names and hands it to
// start; the file is nil when the variable is unset or either fails.
func startProfile(getenv func(string) string, name string, start func(io.Writer) error, errOut io.Writer) *os.File {
	path := getenv(name)
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err == nil {
		if err = start(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(errOut, "wirebook: %s: %v\n", name, err)
		return nil
	}
	return f
}
