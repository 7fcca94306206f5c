// Command wirebook builds, runs and checks literate protocol labs.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wirebook/wirebook/protocols"
	"github.com/wirebook/wirebook/protocols/http"
	"github.com/wirebook/wirebook/protocols/imap"
	"github.com/wirebook/wirebook/protocols/pop3"
	"github.com/wirebook/wirebook/protocols/smtp"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1 // a session, check or server failed
	exitUsage   = 2 // bad usage or a lab-format error
	versionText = "wirebook 0.1.0"
)

// registry is where protocols are wired in: one line per protocol.
func registry() *protocols.Registry {
	return protocols.NewRegistry(
		smtp.Protocol{},
		pop3.Protocol{},
		imap.Protocol{},
		http.Protocol{},
	)
}

type command struct {
	name    string
	summary string
	run     func(env *cliEnv, args []string) int
}

// cliEnv is what a command may touch: its streams and environment.
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
	now            func() time.Time // the clock; time.Now when nil (tests set it)
	// environ lists the environment (os.Environ); nil in tests. Every
	// variable in it that is a secret by name is redacted from all output.
	environ func() []string
}

func (e *cliEnv) clock() func() time.Time {
	if e.now != nil {
		return e.now
	}
	return time.Now
}

func commands() []command {
	return []command{
		{"build", "run every lab and write the HTML site", cmdBuild},
		{"run", "run one lab and print its transcripts", cmdRun},
		{"check", "verify the transcripts written in the labs against the servers", cmdCheck},
		{"update", "write fresh transcripts into the labs", cmdUpdate},
		{"report", "merge the reports and caches of sharded runs (report merge)", cmdReport},
		{"serve", "preview the site on localhost, rebuilding on save", cmdServe},
		{"new", "create a new course that builds at once", cmdNew},
		{"servers", "start the embedded lab servers and print their addresses", cmdServers},
		{"version", "print the version", func(env *cliEnv, _ []string) int { fmt.Fprintln(env.stdout, versionText); return exitOK }},
	}
}

func main() {
	env := &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, lookupEnv: os.LookupEnv, environ: os.Environ}
	stop := startProfiles(os.Getenv, os.Stderr)
	status := run(os.Args[1:], env)
	stop()
	os.Exit(status)
}

func run(args []string, env *cliEnv) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(env, args[1:])
		}
	}
	fmt.Fprintf(env.stderr, "wirebook: unknown command %q\n\n", args[0])
	usage(env.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("wirebook: literate protocol labs, run against real servers\n\nUsage:\n  wirebook COMMAND [flags] [PATH...]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'wirebook COMMAND --help' for a command's flags.\n")
	io.WriteString(w, b.String())
}
