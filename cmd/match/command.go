package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// A command is one match command: its name, the function that makes its
// FlagSet, and its run. Its usage text, the one "match NAME -h" prints,
// goes with its FlagSet. The command's parse function (parseRun,
// parseHash, ...) makes its FlagSet with the same function as flagSet
// here, so that TestUsage_Flags checks the summary of "match help" and
// each usage text against the flags the command really has.
type command struct {
	group string // the word before name for a command of a group: "index", "consent"
	name  string // "run", "build", "import"

	// flagSet returns the command's FlagSet, bound to options of its own,
	// printing its usage text to stderr on -h.
	flagSet func(stderr io.Writer) *flag.FlagSet

	// run parses and checks args, then runs the command. An input named
	// "-" is read from stdin.
	run func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// commands are every match command, in the order of the summary.
var commands = []command{
	{"", "hash", func(w io.Writer) *flag.FlagSet { return hashFlags(new(hashOptions), w) }, runHash},
	{"", "run", func(w io.Writer) *flag.FlagSet { return runFlags(new(runOptions), w) }, runRun},
	{"index", "build", func(w io.Writer) *flag.FlagSet { return indexBuildFlags(new(indexBuildOptions), w) }, runIndexBuild},
	{"index", "info", func(w io.Writer) *flag.FlagSet { return indexInfoFlags(new(indexInfoOptions), w) }, runIndexInfo},
	{"", "prune", func(w io.Writer) *flag.FlagSet { return pruneFlags(new(pruneOptions), w) }, runPrune},
	{"consent", "import", func(w io.Writer) *flag.FlagSet { return consentImportFlags(new(consentImportOptions), w) }, runConsentImport},
	{"consent", "set", func(w io.Writer) *flag.FlagSet { return consentSetFlags(new(consentSetOptions), w) }, runConsentSet},
	{"consent", "get", func(w io.Writer) *flag.FlagSet { return consentGetFlags(new(consentGetOptions), w) }, runConsentGet},
	{"consent", "export", func(w io.Writer) *flag.FlagSet { return consentExportFlags(new(consentExportOptions), w) }, runConsentExport},
	{"psi", "users", func(w io.Writer) *flag.FlagSet { return psiUsersFlags(new(psiUsersOptions), w) }, runPsiUsers},
	{"psi", "list", func(w io.Writer) *flag.FlagSet { return psiListFlags(new(psiListOptions), w) }, runPsiList},
	{"psi", "finish", func(w io.Writer) *flag.FlagSet { return psiFinishFlags(new(psiFinishOptions), w) }, runPsiFinish},
	{"", "version", versionFlags, runVersion},
}

// lookup returns the command called name in group ("" for a command
// outside the groups), or nil.
func lookup(group, name string) *command {
	for i := range commands {
		if c := &commands[i]; c.group == group && c.name == name {
			return c
		}
	}
	return nil
}

// fullName is the command's name as typed after "match": "index build".
func (c *command) fullName() string {
	if c.group == "" {
		return c.name
	}
	return c.group + " " + c.name
}

// A group is the first word of commands that share it, such as "index" of
// "match index build" and "match index info".
type group struct {
	name    string
	usage   string // what "match NAME -h" prints: the group's commands
	missing string // the error when no command follows the group's name
}

// groups are the groups of commands.
var groups = []group{
	{"index", indexUsage, "index: missing build or info"},
	{"consent", consentUsage, "consent: missing command\nTry: match consent -h"},
	{"psi", psiUsage, "psi: missing users, list or finish\nTry: match psi -h"},
}

// lookupGroup returns the group called name, or nil.
func lookupGroup(name string) *group {
	for i := range groups {
		if g := &groups[i]; g.name == name {
			return g
		}
	}
	return nil
}

// run runs the group's command that args name: "match index build ..."
// runs "build" with the rest of args.
func (g *group) run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, g.usage)
		return usageErrorf("%s", g.missing)
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, g.usage)
		return nil
	}
	if c := lookup(g.name, args[0]); c != nil {
		return c.run(ctx, args[1:], stdin, stdout, stderr)
	}
	return usageErrorf("%s: unknown command %q\nTry: match %s -h", g.name, args[0], g.name)
}

// isHelp reports whether arg asks for help in place of a command.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}
