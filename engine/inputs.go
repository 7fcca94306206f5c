package engine

import (
	"io/fs"
	"path/filepath"
	"sort"

	"github.com/wirebook/wirebook/engine/lab"
)

// labFiles lists the files beside a lab that its sessions are made from:
// its fixture files and every file under its web root, in a stable order.
// The cache key, a build's record of unchanged inputs and --changed all
// use it, so that none of them forgets one.
func labFiles(l *lab.Lab) []string {
	dir := filepath.Dir(l.Path)
	var out []string
	for _, f := range l.Front.Fixtures {
		if f.File != "" {
			out = append(out, filepath.Join(dir, filepath.FromSlash(f.File)))
		}
	}
	out = append(out, webRootFiles(l)...)
	return out
}

// webRootFiles lists the regular files under the lab's web_root, sorted; a
// missing web root lists nothing (preparing the lab reports it).
func webRootFiles(l *lab.Lab) []string {
	if l.Front.WebRoot == "" {
		return nil
	}
	root := filepath.Join(filepath.Dir(l.Path), filepath.FromSlash(l.Front.WebRoot))
	var out []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out
}
