//go:build !linux

package atomicfile

import "io/fs"

func createNew(string, []byte, fs.FileMode, bool) (bool, error) { return false, nil }
