package main

import (
	"os"
	"testing"
)

// BenchmarkBuildCourse builds the repository's course with every session
// run against fresh embedded servers (the first build on a machine).
func BenchmarkBuildCourse(b *testing.B) {
	benchCourse(b, "--no-cache")
}

// BenchmarkBuildCourseCached rebuilds the course with nothing changed: the
// transcript cache serves every session and no server is contacted.
func BenchmarkBuildCourseCached(b *testing.B) {
	benchCourse(b)
}

func benchCourse(b *testing.B, extra ...string) {
	b.Helper()
	dir := b.TempDir()
	b.Setenv("XDG_CACHE_HOME", dir+"/xdg")
	old, _ := os.Getwd()
	if err := os.CopyFS(dir+"/labs", os.DirFS("../../labs")); err != nil {
		b.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.Chdir(old) })
	args := append([]string{"build", "--out", "out"}, extra...)
	args = append(args, "labs")
	env := &cliEnv{stdout: discard{}, stderr: discard{}, lookupEnv: func(string) (string, bool) { return "", false }}
	if st := run(args, env); st != exitOK { // warm the cache and the lab CA
		b.Fatalf("build exit %d", st)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if st := run(args, env); st != exitOK {
			b.Fatalf("build exit %d", st)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
