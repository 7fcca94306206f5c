// Package repl runs the code of a lab's executable blocks: a pycon block's
// statements in a real python3 that behaves like the interactive prompt,
// and a console block's commands in bash. It knows nothing of labs or
// servers: it gets code, an environment, a deadline and an output limit,
// and gives back what was printed.
package repl
