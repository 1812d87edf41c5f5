package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/audiencematch/audiencematch/internal/buildinfo"
)

const versionUsage = `Usage: match version

Prints what the binary was built from: the module's version, its VCS
revision (and whether the work tree had changes), the Go version, and the
version of github.com/nyaruka/phonenumbers, whose metadata decides how
phones normalize. "match --version" is the same. The audit log records the
same facts, on one line, as "engine".

Example:
  match version
`

// versionFlags returns the FlagSet of match version: it has none.
func versionFlags(stderr io.Writer) *flag.FlagSet {
	return newFlagSet("version", versionUsage, stderr)
}

// runVersion is match version: print the build's versions.
func runVersion(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if err := parseFlags(versionFlags(stderr), args); err != nil {
		return err
	}
	_, err := fmt.Fprint(stdout, buildinfo.Read("match").Text())
	return err
}

// isVersion reports whether arg asks for the version in place of a
// command.
func isVersion(arg string) bool { return arg == "--version" || arg == "-version" }
