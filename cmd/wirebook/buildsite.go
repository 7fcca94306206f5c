package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"

	"github.com/wirebook/wirebook/engine"
	"github.com/wirebook/wirebook/engine/render"
	"github.com/wirebook/wirebook/site"
)

// buildLab is one lab on its way through a build.
type buildLab struct {
	file  string
	order int    // as engine.SortResults orders
	path  string // the result's path
	entry site.LabSummary
	old   *render.ManifestLab // the last build's record, when the lab's inputs are unchanged
}

// buildSite runs the labs and writes the site into out. Labs stream
// through run and render a few at a time (as many run as the engine
// allows, two per CPU render), so memory does not grow with the course:
// a first pass only loads each lab for its order and title, which the
// index and the previous/next links need. A lab whose files hash as the
// last build recorded (render.Manifest) is not even loaded, and its page,
// when its neighbours did not change either, is kept. What is returned is
// enough to report problems, not the transcripts.
func buildSite(env *cliEnv, eng *engine.Engine, files, paths []string, out, title string, live bool) ([]*engine.LabResult, error) {
	cpus := runtime.GOMAXPROCS(0)
	if _, set := env.lookupEnv("GOGC"); !set {
		// Labs stream, so the live heap stays small (tens of MB): the
		// collector may let it grow further before running, for a fifth
		// less CPU (measured on the 1,000-lab course, docs/performance.md).
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	course := loadCourse(paths, title)
	course.LiveReload = live
	var manifest *render.Manifest
	optKey := eng.OptionsKey()
	if cache := eng.Cache(); cache != nil {
		course.PageCache = filepath.Join(cache.Dir, "pages")
		if optKey != "" {
			manifest = render.LoadManifest(course.PageCache)
		}
	}
	labs := make([]buildLab, len(files))
	render.Parallel(len(files), cpus, func(i int) {
		labs[i] = scanLab(eng, manifest, optKey, files[i])
	})
	sort.SliceStable(labs, func(i, j int) bool {
		if labs[i].order != labs[j].order {
			return labs[i].order < labs[j].order
		}
		return labs[i].path < labs[j].path
	})
	entries := make([]site.LabSummary, len(labs))
	for i, l := range labs {
		entries[i] = l.entry
	}
	w, err := render.NewSiteWriter(out, course, entries)
	if err != nil {
		return nil, err
	}
	progress := newProgress(env)
	eng.SetProgress(progress.report)
	results := make([]*engine.LabResult, len(labs))
	summaries := make([]site.LabSummary, len(labs))
	errs := make([]error, len(labs))
	var mu sync.Mutex
	record := map[string]render.ManifestLab{}
	// The engine limits how many labs run at once; here, how many are in
	// hand (running or rendering) and how many render.
	jobs := eng.Jobs()
	if jobs <= 0 {
		jobs = max(engine.DefaultRemoteJobs, runtime.NumCPU())
	}
	// Twice the CPUs, for the odd page that waits on the disk for its
	// lab file; pages are written outside the slot (an execution trace
	// showed renders waiting behind file creation).
	rendering := make(chan struct{}, 2*cpus)
	render.Parallel(len(labs), jobs+cpus, func(i int) {
		l := labs[i]
		var prev, next *site.LabSummary
		if i > 0 {
			prev = &entries[i-1]
		}
		if i+1 < len(entries) {
			next = &entries[i+1]
		}
		if l.old != nil && l.old.Page == render.PageKey(l.old.Key, course, prev, next) {
			if _, err := os.Stat(filepath.Join(out, l.entry.Href)); err == nil {
				results[i], summaries[i] = &engine.LabResult{Path: l.path}, l.old.Summary
				w.KeepWords(l.entry.Href)
				mu.Lock()
				record[l.file] = *l.old
				mu.Unlock()
				return
			}
		}
		r := eng.RunLab(context.Background(), l.file)
		rendering <- struct{}{}
		var page *render.RenderedPage
		summaries[i], page, errs[i] = w.RenderPage(i, render.LabPage{Result: r, Sessions: render.ViewsFromResults(r)})
		<-rendering
		if errs[i] == nil {
			errs[i] = page.Write() // outside the render slot
		}
		results[i] = reportable(r)
		if manifest == nil || errs[i] != nil || r.Err != nil || len(r.Warnings) > 0 || len(results[i].Sessions) > 0 {
			return // only what needs no report is kept: a problem is reported on every build
		}
		if inputs, ok := eng.InputFiles(r); ok {
			if key := render.InputKey(optKey, l.file, r.Lab.Source, inputs); key != "" {
				mu.Lock()
				record[l.file] = render.ManifestLab{Key: key, Files: inputs, Order: l.order, Path: l.path,
					Summary: summaries[i], Page: render.PageKey(key, course, prev, next)}
				mu.Unlock()
			}
		}
	})
	progress.done()
	for _, err := range errs {
		if err != nil {
			return results, err
		}
	}
	if err := w.Finish(summaries); err != nil {
		return results, err
	}
	if manifest != nil {
		_ = manifest.Save(record) // losing it only costs loading every lab next time
	}
	return results, nil
}

// scanLab finds a lab's place and title: from the last build's record when
// the lab's files hash the same, else by loading it.
func scanLab(eng *engine.Engine, m *render.Manifest, optKey, file string) buildLab {
	if m != nil {
		if old, ok := m.Labs[file]; ok {
			if src, err := os.ReadFile(file); err == nil && render.InputKey(optKey, file, src, old.Files) == old.Key {
				e := old.Summary
				return buildLab{file: file, order: old.Order, path: old.Path, old: &old,
					entry: site.LabSummary{Title: e.Title, Href: e.Href, Summary: e.Summary}}
			}
		}
	}
	// A new or changed lab: its front matter only (order, title). It is
	// parsed and validated when it runs, before it contacts any server
	// (a lab with a mistake contacts none); an unchanged lab is not even
	// read again.
	r := eng.Scan(file)
	order := 0
	if r.Lab != nil {
		order = r.Lab.Front.Order
	}
	return buildLab{file: file, order: render.SortOrder(order), path: r.Path, entry: render.Entry(r)}
}

// reportable keeps of a lab's result what reportResults prints: its path,
// its error and its failed or mismatched sessions, not the transcripts.
func reportable(r *engine.LabResult) *engine.LabResult {
	out := *r
	out.Lab, out.Sessions = nil, nil
	for _, s := range r.Sessions {
		if s.Status == engine.StatusFailed || s.Status == engine.StatusMismatch {
			out.Sessions = append(out.Sessions, s)
		}
	}
	return &out
}
