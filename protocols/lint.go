package protocols

// LintLine is one written line of a session block, given to a Linter
// before the block runs.
type LintLine struct {
	Kind Kind // Client (C: and C+), Server (S:) or Note (N:)
	// Text is what the line sends (Client: variables expanded) or what it
	// expects (Server, Note: as written).
	Text      string
	Source    int  // 1-based line in the lab file
	Pipelined bool // written "C+"
	// Unknown marks a client line whose Text is as written, because it uses
	// a value known only when the block runs (the server's host or login,
	// a capture): byte counts over it cannot be checked beforehand.
	Unknown bool
}

// Finding is a mistake a Linter found in a block.
type Finding struct {
	Line    int // 1-based line in the lab file
	Msg     string
	Warning bool // the block runs, but almost surely not as the author meant
}

// Linter is implemented by protocols that can tell, from a block's written
// lines alone, that it cannot run as written (a wrong IMAP literal count, a
// server line where the server cannot speak) or almost surely does not do
// what its author meant. The engine lints every block before any server is
// contacted; an error stops the lab, a warning is reported.
type Linter interface {
	Lint(lines []LintLine) []Finding
}
