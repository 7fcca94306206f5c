package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
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
	p := &preview{env: env, eng: eng, paths: paths, out: *out, title: *title}
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
}

// rebuild builds the site; errors in labs land on their pages (and on the
// terminal), never stop the server.
func (p *preview) rebuild() {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := time.Now()
	files, err := engine.FindLabs(p.paths)
	if err != nil {
		fmt.Fprintln(p.env.stderr, "wirebook serve:", err)
		return
	}
	results, err := buildSite(p.env, p.eng, files, p.paths, p.out, p.title, true)
	if err != nil {
		fmt.Fprintln(p.env.stderr, "wirebook serve:", err)
	}
	reportResults(p.env.stderr, results)
	p.lastSnapshot = snapshot(p.paths)
	n := p.version.Add(1)
	fmt.Fprintf(p.env.stdout, "built %d labs in %s (version %d)\n", len(results), time.Since(start).Round(time.Millisecond), n)
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
			changed := snapshot(p.paths) != p.lastSnapshot
			p.mu.Unlock()
			if changed {
				p.rebuild()
			}
		}
	}
}

// snapshot summarises names, sizes and modification times of the files
// under paths.
func snapshot(paths []string) string {
	var b []byte
	for _, root := range paths {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() && path != root && d.Name()[0] == '.' {
				return filepath.SkipDir
			}
			if info, err := d.Info(); err == nil && !d.IsDir() {
				b = fmt.Appendf(b, "%s %d %d\n", path, info.Size(), info.ModTime().UnixNano())
			}
			return nil
		})
	}
	return string(b)
}
