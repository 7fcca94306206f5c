// Command render is the render benchmark of `make bench`: it generates an
// N-lab course (internal/coursegen), then times `wirebook build --offline`
// cold (no output, no cache) and rebuilt (nothing changed), and Hugo on the
// same Markdown when hugo is installed, in paired, interleaved runs. Each
// run is a child process; wall time, CPU time (user+system) and peak RSS
// come from its rusage. It prints medians and ratios as a Markdown table.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wirebook/wirebook/internal/coursegen"
)

type sample struct {
	wall, cpu time.Duration
	rss       int64 // bytes
}

type series []sample

func (s series) median(f func(sample) float64) float64 {
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = f(x)
	}
	sort.Float64s(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func (s series) wall() float64 { return s.median(func(x sample) float64 { return x.wall.Seconds() }) }
func (s series) cpu() float64  { return s.median(func(x sample) float64 { return x.cpu.Seconds() }) }
func (s series) rss() float64 {
	return s.median(func(x sample) float64 { return float64(x.rss) / (1 << 20) })
}

// ratios are the medians of per-run ratios a/b: each pair ran back to back,
// so the machine's load at the time cancels out better than in a ratio of
// medians.
func ratios(a, b series) float64 {
	var r series
	for i := range min(len(a), len(b)) {
		r = append(r, sample{wall: time.Duration(float64(time.Second) * a[i].wall.Seconds() / b[i].wall.Seconds())})
	}
	return r.wall()
}

// cpuRatios is ratios for CPU time, which a loaded machine disturbs less.
func cpuRatios(a, b series) float64 {
	var r series
	for i := range min(len(a), len(b)) {
		r = append(r, sample{wall: time.Duration(float64(time.Second) * a[i].cpu.Seconds() / b[i].cpu.Seconds())})
	}
	return r.wall()
}

func main() {
	sizes := flag.String("n", "100,1000,3000", "comma-separated course sizes (labs)")
	runs := flag.Int("runs", 3, "paired runs per size")
	bin := flag.String("wirebook", "", "wirebook binary (default: go build ./cmd/wirebook into the work directory)")
	work := flag.String("work", "", "work directory (default: a new temporary directory, removed at the end)")
	noHugo := flag.Bool("no-hugo", false, "do not run Hugo even when it is installed")
	baseline := flag.String("baseline", "", "another wirebook binary (an earlier build) to time cold in the same interleaved runs")
	flag.Parse()

	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "wirebook-bench-")
		check(err)
		defer os.RemoveAll(d)
		dir = d
	}
	if *bin == "" {
		*bin = filepath.Join(dir, "wirebook")
		cmd := exec.Command("go", "build", "-o", *bin, "./cmd/wirebook")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		check(cmd.Run())
	}
	abs, err := filepath.Abs(*bin)
	check(err)
	*bin = abs
	hugo := ""
	if !*noHugo {
		if p, err := exec.LookPath("hugo"); err == nil {
			hugo = p
			out, _ := exec.Command(hugo, "version").Output()
			fmt.Printf("hugo: %s\n", strings.TrimSpace(string(out)))
		} else {
			fmt.Println("hugo: not installed, wirebook only")
		}
	}
	fmt.Printf("machine: %d CPUs; runs per size: %d, interleaved\n\n", cpus(), *runs)
	if *baseline != "" {
		b, err := filepath.Abs(*baseline)
		check(err)
		*baseline = b
	}
	fmt.Println("| labs | MB of Markdown | wirebook cold wall / CPU / RSS | rebuild wall / RSS | Hugo wall / CPU / RSS | cold / Hugo wall (CPU) | rebuild / cold | ms per page (wirebook, Hugo) | baseline cold / this cold, wall (CPU) |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		check(err)
		base := filepath.Join(dir, fmt.Sprint(n))
		check(os.RemoveAll(base))
		hugoDir := ""
		if hugo != "" {
			hugoDir = filepath.Join(base, "hugo")
		}
		size, err := coursegen.Write(filepath.Join(base, "labs"), coursegen.Options{Labs: n, HugoDir: hugoDir})
		check(err)
		var cold, rebuild, hg, old series
		for r := range *runs {
			// Alternate which tool goes first, so neither always meets a
			// warm or a cold page cache.
			steps := []func(){
				func() {
					check(os.RemoveAll(filepath.Join(base, "out")))
					check(os.RemoveAll(filepath.Join(base, ".wirebook")))
					cold = append(cold, measure(base, *bin, "build", "--offline", "--out", "out", "labs"))
					rebuild = append(rebuild, measure(base, *bin, "build", "--offline", "--out", "out", "labs"))
				},
			}
			if *baseline != "" {
				steps = append(steps, func() {
					check(os.RemoveAll(filepath.Join(base, "out-baseline")))
					check(os.RemoveAll(filepath.Join(base, ".wirebook")))
					old = append(old, measure(base, *baseline, "build", "--offline", "--out", "out-baseline", "labs"))
				})
			}
			if hugo != "" {
				steps = append(steps, func() {
					check(os.RemoveAll(filepath.Join(hugoDir, "public")))
					check(os.RemoveAll(filepath.Join(hugoDir, "resources")))
					hg = append(hg, measure(hugoDir, hugo, "--quiet", "-d", "public"))
				})
			}
			if r%2 == 1 {
				for i, j := 0, len(steps)-1; i < j; i, j = i+1, j-1 {
					steps[i], steps[j] = steps[j], steps[i]
				}
			}
			for _, s := range steps {
				s()
			}
		}
		hugoCell, ratio, perPageHugo := "—", "—", "—"
		if len(hg) > 0 {
			hugoCell = fmt.Sprintf("%.2f s / %.2f s / %.0f MiB", hg.wall(), hg.cpu(), hg.rss())
			ratio = fmt.Sprintf("%.2f× (%.2f×)", ratios(cold, hg), cpuRatios(cold, hg))
			perPageHugo = fmt.Sprintf("%.1f", hg.wall()*1000/float64(n))
		}
		baseCell := "—"
		if len(old) > 0 {
			baseCell = fmt.Sprintf("%.2f× (%.2f×)", ratios(old, cold), cpuRatios(old, cold))
		}
		fmt.Printf("| %d | %.1f | %.2f s / %.2f s / %.0f MiB | %.3f s / %.0f MiB | %s | %s | %.3f | %.1f, %s | %s |\n",
			n, float64(size)/1e6, cold.wall(), cold.cpu(), cold.rss(), rebuild.wall(), rebuild.rss(),
			hugoCell, ratio, ratios(rebuild, cold), cold.wall()*1000/float64(n), perPageHugo, baseCell)
	}
}

// measure runs one child process in dir and returns its rusage.
func measure(dir, bin string, args ...string) sample {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: %v\n%s", bin, strings.Join(args, " "), err, tail(stderr.String()))
		os.Exit(1)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	s := sample{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if ru != nil {
		s.rss = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return s
}

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}

func cpus() int {
	n := 0
	data, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		n = strings.Count(string(data), "\nprocessor")
		if strings.HasPrefix(string(data), "processor") {
			n++
		}
	}
	return n
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
