package main

import (
	"flag"
	"io"
)

// The Beam SDK defines its runner flags (--runner, --endpoint,
// --environment_type, Dataflow's --project, ...) on flag.CommandLine, and
// reads them from there: which flags were set, for the job's options. So
// each one is added to the command's FlagSet as a proxy that sets the
// original on flag.CommandLine. Dataflow's --region (a GCP region) would
// clash with match's --region (a phone region): it is --gcp_region here.

// renamed maps a Beam flag's name to its name here.
var renamed = map[string]string{"region": "gcp_region"}

// addBeamFlags adds a proxy of every flag of flag.CommandLine to fs.
func addBeamFlags(fs *flag.FlagSet) {
	flag.CommandLine.VisitAll(func(f *flag.Flag) {
		name := f.Name
		if n, ok := renamed[name]; ok {
			name = n
		}
		if fs.Lookup(name) != nil {
			return // match's own flag of that name wins
		}
		fs.Var(&beamFlag{f}, name, f.Usage)
	})
}

// beamFlag sets a flag of flag.CommandLine.
type beamFlag struct{ f *flag.Flag }

func (b *beamFlag) String() string {
	if b == nil || b.f == nil {
		return ""
	}
	return b.f.Value.String()
}

func (b *beamFlag) Set(s string) error { return flag.CommandLine.Set(b.f.Name, s) }

func (b *beamFlag) IsBoolFlag() bool {
	bf, ok := b.f.Value.(interface{ IsBoolFlag() bool })
	return ok && bf.IsBoolFlag()
}

// mainBeamFlags are the Beam flags that -h shows; every other flag of the
// SDK is accepted too.
var mainBeamFlags = map[string]bool{
	"runner": true, "endpoint": true, "environment_type": true, "environment_config": true,
	"job_name": true, "parallelism": true, "async": true, "worker_binary": true,
	"project": true, "gcp_region": true, "staging_location": true, "temp_location": true,
	"num_workers": true, "max_num_workers": true, "worker_machine_type": true,
}

const beamUsage = `
Beam runner flags (the main ones; every flag of the Beam Go SDK is accepted,
Dataflow's --region as --gcp_region):
`

// beamHelp returns a FlagSet of the main Beam flags, for -h.
func beamHelp(w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("beam", flag.ContinueOnError)
	fs.SetOutput(w)
	flag.CommandLine.VisitAll(func(f *flag.Flag) {
		name := f.Name
		if n, ok := renamed[name]; ok {
			name = n
		}
		if mainBeamFlags[name] {
			fs.Var(f.Value, name, f.Usage)
		}
	})
	return fs
}
