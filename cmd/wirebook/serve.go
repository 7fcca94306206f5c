package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/protocols/labserver"
	"github.com/wirebook/wirebook/protocols/mailstore"
)

func cmdServe(env *cliEnv, args []string) int {
	fs := newFlagSet(env, "serve", "[flags] [PATH]", "Builds the site, serves it on localhost and rebuilds it when a lab changes; open pages reload by themselves.\nAlso starts the embedded lab servers for you to try things by hand.")
	var common commonFlags
	common.register(fs.FlagSet)
	addr := fs.String("addr", "127.0.0.1:8080", "serve the site on `HOST:PORT` (port 0 picks a free one)")
	out := fs.StringP("out", "o", ".wirebook/serve", "write the preview site into `DIR`")
	title := fs.String("title", "", "course title")
	interval := fs.Duration("poll", 200*time.Millisecond, "how often to look for changed files")
	noLabServers := fs.Bool("no-lab-servers", false, "do not start the embedded lab servers for manual use")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"labs"}
	}
	eng, err := common.engine(env, newEmbeddedProvider(), engine.Options{Cache: &engine.Cache{Dir: cacheDir}}, paths...)
	if err != nil {
		fmt.Fprintln(env.stderr, "wirebook serve:", err)
		return exitUsage
	}
	p := &preview{env: env, eng: eng, paths: paths, out: *out, title: *title, colorOut: useColor(env), colorErr: colorTerminal(env, env.stderr)}
	p.rebuild()

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(env.stderr, "wirebook serve:", err)
		return exitFailed
	}
	srv := &http.Server{Handler: p.handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	defer srv.Close()
	fmt.Fprintf(env.stdout, "serving %s on http://%s/ (Ctrl-C to stop)\n", *out, l.Addr())

	if !*noLabServers {
		if b, err := newEmbeddedProvider().tlsBundle(); err == nil {
			if set, err := labserver.Start(labserver.Config{TLS: b, Clock: mailstore.SystemClock{}}); err == nil {
				defer set.Close()
				fmt.Fprintln(env.stdout, "lab servers:")
				for _, svc := range set.Services() {
					fmt.Fprintf(env.stdout, "  %-10s %s\n", svc, set.Addr(svc))
				}
			} else {
				fmt.Fprintln(env.stderr, "wirebook serve: lab servers:", err)
			}
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p.watch(ctx, *interval)
	return exitOK
}

// preview is the state of `wirebook serve`: the last build and a version
// number that pages poll to know when to reload.
type preview struct {
	env          *cliEnv
	eng          *engine.Engine
	paths        []string
	out, title   string
	version      atomic.Int64
	mu           sync.Mutex
	lastSnapshot string
	problems     map[string]string // lab path -> the problems last printed for it
	colorOut     bool              // colour on stdout, stderr: terminals, no NO_COLOR
	colorErr     bool
}

// Terminal colours of serve's messages.
const (
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiGreen  = "\x1b[32m"
	ansiReset  = "\x1b[0m"
)

// rebuild builds the site, and again for as long as the files changed
// while it built: the state is taken before a build, so a save that lands
// during one is built next, never lost. Errors in labs land on their pages
// (and on the terminal), never stop the server.
func (p *preview) rebuild() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		before := snapshot(p.paths, p.out)
		p.buildOnce()
		p.lastSnapshot = before
		if snapshot(p.paths, p.out) == before {
			return
		}
		p.say(false, ansiYellow, "files changed during the build; building again\n")
	}
}

func (p *preview) buildOnce() {
	start := time.Now()
	files, err := engine.FindLabs(p.paths)
	if err != nil {
		p.say(true, ansiRed, "wirebook serve: "+err.Error()+"\n")
		return
	}
	results, err := buildSite(p.env, p.eng, files, p.paths, p.out, p.title, true)
	if err != nil {
		p.say(true, ansiRed, "wirebook serve: "+err.Error()+"\n")
	}
	bad := p.reportChanges(results)
	n := p.version.Add(1)
	line := fmt.Sprintf("built %d labs in %s (version %d)", len(results), time.Since(start).Round(time.Millisecond), n)
	if len(bad) == 0 {
		p.say(false, ansiGreen, line+"\n")
		return
	}
	p.say(false, ansiYellow, fmt.Sprintf("%s; problems in %d: %s\n", line, len(bad), strings.Join(bad, ", ")))
}

// reportChanges prints a lab's problems only when they differ from what was
// last printed for it, and says when a lab's problems are gone, so a save
// does not repeat every other lab's errors. It returns the labs that still
// have problems.
func (p *preview) reportChanges(results []*engine.LabResult) (bad []string) {
	if p.problems == nil {
		p.problems = map[string]string{}
	}
	seen := map[string]bool{}
	for _, r := range results {
		var b strings.Builder
		reportResults(&b, []*engine.LabResult{r})
		now, was := b.String(), p.problems[r.Path]
		seen[r.Path] = true
		if now != "" {
			bad = append(bad, r.Path)
		}
		switch {
		case now == was:
		case now == "":
			p.say(true, ansiGreen, r.Path+": no problems now\n")
		default:
			p.say(true, ansiRed, now)
		}
		p.problems[r.Path] = now
	}
	for path := range p.problems {
		if !seen[path] {
			delete(p.problems, path) // the lab is gone; so are its problems
		}
	}
	sort.Strings(bad)
	return bad
}

// say prints the lines of s on stderr or stdout, each in color when that
// stream is a terminal that takes colour.
func (p *preview) say(toErr bool, color, s string) {
	w, on := p.env.stdout, p.colorOut
	if toErr {
		w, on = p.env.stderr, p.colorErr
	}
	if on {
		s = strings.TrimSuffix(s, "\n")
		s = color + strings.ReplaceAll(s, "\n", ansiReset+"\n"+color) + ansiReset + "\n"
	}
	io.WriteString(w, s)
}

func (p *preview) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/_wirebook/version", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, strconv.FormatInt(p.version.Load(), 10))
	})
	files := http.FileServer(http.Dir(p.out))
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
	return mux
}

// watch polls the lab files and rebuilds when any changed. Polling keeps
// wirebook free of platform file-watching code and is cheap for a course.
func (p *preview) watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.mu.Lock()
			changed := snapshot(p.paths, p.out) != p.lastSnapshot
			p.mu.Unlock()
			if changed {
				p.rebuild()
			}
		}
	}
}

// snapshot summarises the files under paths (the output directory out
// excepted: a build writes it): names, sizes, modification times and, for
// files up to 1 MiB, a hash of the contents, so two saves of the same size
// within one tick of a coarse file-system clock still differ.
func snapshot(paths []string, out string) string {
	outAbs, _ := filepath.Abs(out)
	var b []byte
	for _, root := range paths {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				if path != root && d.Name()[0] == '.' {
					return filepath.SkipDir
				}
				if abs, err := filepath.Abs(path); err == nil && abs == outAbs {
					return filepath.SkipDir
				}
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			b = fmt.Appendf(b, "%s %d %d", path, info.Size(), info.ModTime().UnixNano())
			if info.Mode().IsRegular() && info.Size() <= 1<<20 {
				if data, err := os.ReadFile(path); err == nil {
					b = fmt.Appendf(b, " %x", sha256.Sum256(data))
				}
			}
			b = append(b, '\n')
			return nil
		})
	}
	return string(b)
}
