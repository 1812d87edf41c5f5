package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
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
	v := readBuild()
	_, err := fmt.Fprint(stdout, v.text())
	return err
}

// isVersion reports whether arg asks for the version in place of a
// command.
func isVersion(arg string) bool { return arg == "--version" || arg == "-version" }

// phonenumbersPath is the module whose version, beside ours, decides what
// a phone normalizes to.
const phonenumbersPath = "github.com/nyaruka/phonenumbers"

// build is what a binary knows of how it was built. An empty field is
// unknown.
type build struct {
	version      string // the main module's: a tag, a pseudo-version, or "(devel)"
	revision     string // the VCS revision, if the build stamped it
	modified     bool   // the work tree had changes the revision lacks
	goVersion    string // the toolchain's: "go1.26.8"
	phonenumbers string // github.com/nyaruka/phonenumbers's version, and its replacement if any
}

// readBuild returns the running binary's build.
func readBuild() build {
	info, _ := debug.ReadBuildInfo()
	return buildOf(info)
}

// buildOf returns the build that info, which may be nil, describes.
func buildOf(info *debug.BuildInfo) build {
	b := build{goVersion: runtime.Version()}
	if info == nil {
		return b
	}
	b.version = info.Main.Version
	if info.GoVersion != "" {
		b.goVersion = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.revision = s.Value
		case "vcs.modified":
			b.modified = s.Value == "true"
		}
	}
	for _, d := range info.Deps {
		if d.Path != phonenumbersPath {
			continue
		}
		b.phonenumbers = d.Version
		if r := d.Replace; r != nil {
			b.phonenumbers = strings.TrimSpace(d.Version + " => " + r.Path + " " + r.Version)
		}
	}
	return b
}

// or returns s, or "unknown" if it is empty.
func or(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// text is the build as match version prints it, a line a fact.
func (b build) text() string {
	rev := or(b.revision)
	if b.revision == "" {
		rev += " (built without VCS stamping)"
	} else if b.modified {
		rev += " (modified)"
	}
	return fmt.Sprintf("match:        %s\nrevision:     %s\ngo:           %s\nphonenumbers: %s\n",
		or(b.version), rev, b.goVersion, or(b.phonenumbers))
}

// shortRevision is how many hex digits of the revision String keeps:
// enough to name a commit, and short of the 16 that an audit log's
// readers, and its tests, take for a digest.
const shortRevision = 12

// String is the build on one line, as the audit log's "engine" records it:
// "match v1.2.0, revision 1809186c3f2a (modified), go1.26.8, phonenumbers
// v1.8.1", the revision cut to 12 digits, and left out if unknown.
func (b build) String() string {
	s := "match " + or(b.version)
	if b.revision != "" {
		s += ", revision " + b.revision[:min(len(b.revision), shortRevision)]
		if b.modified {
			s += " (modified)"
		}
	}
	return s + ", " + b.goVersion + ", phonenumbers " + or(b.phonenumbers)
}
