//go:build !unix

package atomicfile

// processAlive cannot tell here, so it says yes: only StaleAge applies.
func processAlive(int) bool { return true }
