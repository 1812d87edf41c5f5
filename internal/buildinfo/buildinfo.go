// Package buildinfo says what a binary of the engine was built from: the
// main module's version, the VCS revision, the Go version and the version
// of github.com/nyaruka/phonenumbers, whose metadata decides what a phone
// normalizes to. match version prints it, and every audit record of match
// run and of the Beam pipeline names it, so that a platform knows which
// engine made an audience.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// PhonenumbersPath is the module whose version, beside the engine's,
// decides what a phone normalizes to.
const PhonenumbersPath = "github.com/nyaruka/phonenumbers"

// Build is what a binary knows of how it was built. An empty field is
// unknown.
type Build struct {
	Program      string // the binary's name: "match", "match-beam"
	Version      string // the main module's: a tag, a pseudo-version, or "(devel)"
	Revision     string // the VCS revision, if the build stamped it
	Modified     bool   // the work tree had changes the revision lacks
	GoVersion    string // the toolchain's: "go1.26.8"
	Phonenumbers string // github.com/nyaruka/phonenumbers's version, and its replacement if any
}

// Read returns the build of the running binary, named program.
func Read(program string) Build {
	info, _ := debug.ReadBuildInfo()
	return Of(program, info)
}

// Of returns the build of program that info, which may be nil, describes.
func Of(program string, info *debug.BuildInfo) Build {
	b := Build{Program: program, GoVersion: runtime.Version()}
	if info == nil {
		return b
	}
	b.Version = info.Main.Version
	if info.GoVersion != "" {
		b.GoVersion = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	for _, d := range info.Deps {
		if d.Path != PhonenumbersPath {
			continue
		}
		b.Phonenumbers = d.Version
		if r := d.Replace; r != nil {
			b.Phonenumbers = strings.TrimSpace(d.Version + " => " + r.Path + " " + r.Version)
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

// Text is the build as match version prints it, a line a fact.
func (b Build) Text() string {
	rev := or(b.Revision)
	if b.Revision == "" {
		rev += " (built without VCS stamping)"
	} else if b.Modified {
		rev += " (modified)"
	}
	return fmt.Sprintf("%-14s%s\nrevision:     %s\ngo:           %s\nphonenumbers: %s\n",
		b.Program+":", or(b.Version), rev, b.GoVersion, or(b.Phonenumbers))
}

// shortRevision is how many hex digits of the revision String keeps:
// enough to name a commit, and short of the 16 that an audit log's
// readers, and its tests, take for a digest.
const shortRevision = 12

// String is the build on one line, as the audit log's "engine" records it:
// "match v1.2.0, revision 1809186c3f2a (modified), go1.26.8, phonenumbers
// v1.8.1", the revision cut to 12 digits, and left out if unknown.
func (b Build) String() string {
	s := b.Program + " " + or(b.Version)
	if b.Revision != "" {
		s += ", revision " + b.Revision[:min(len(b.Revision), shortRevision)]
		if b.Modified {
			s += " (modified)"
		}
	}
	return s + ", " + b.GoVersion + ", phonenumbers " + or(b.Phonenumbers)
}
