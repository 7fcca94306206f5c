package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

// startProfiles writes a CPU profile to cpuPath, a heap profile to memPath
// (either may be empty) and an execution trace to $WIREBOOK_TRACE for the
// whole command, so a slow build can
// be profiled as users run it (docs/performance.md). The returned function
// ends the profiles; a profile that cannot be written is reported on
// errOut and does not change what the command does.
func startProfiles(cpuPath, memPath string, errOut io.Writer) (stop func()) {
	var traceFile *os.File
	if path := os.Getenv("WIREBOOK_TRACE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = trace.Start(f)
		}
		if err != nil {
			fmt.Fprintf(errOut, "wirebook: WIREBOOK_TRACE: %v\n", err)
		} else {
			traceFile = f
		}
	}
	var cpuFile *os.File
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(errOut, "wirebook: WIREBOOK_CPUPROFILE: %v\n", err)
		} else {
			cpuFile = f
		}
	}
	return func() {
		if traceFile != nil {
			trace.Stop()
			traceFile.Close()
		}
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		if memPath != "" {
			f, err := os.Create(memPath)
			if err == nil {
				runtime.GC()
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintf(errOut, "wirebook: WIREBOOK_MEMPROFILE: %v\n", err)
			}
		}
	}
}
