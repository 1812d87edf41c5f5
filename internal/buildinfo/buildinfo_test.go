package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestBuild checks what match version and the audit say (Text and String) of builds with
// and without VCS stamping, and with phonenumbers replaced.
func TestBuild(t *testing.T) {
	rev := "1809186c3f2a4b5c6d7e8f9a0b1c2d3e4f5a6b7c"
	pn := &debug.Module{Path: PhonenumbersPath, Version: "v1.8.1"}
	for _, tc := range []struct {
		name       string
		info       *debug.BuildInfo
		text, line string
	}{
		{"stamped", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}, Deps: []*debug.Module{pn},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"}}},
			"match:        v1.2.0\nrevision:     " + rev + "\ngo:           go1.26.8\nphonenumbers: v1.8.1\n",
			"match v1.2.0, revision 1809186c3f2a, go1.26.8, phonenumbers v1.8.1"},
		{"modified", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Deps: []*debug.Module{pn},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}}},
			"match:        (devel)\nrevision:     " + rev + " (modified)\ngo:           go1.26.8\nphonenumbers: v1.8.1\n",
			"match (devel), revision 1809186c3f2a (modified), go1.26.8, phonenumbers v1.8.1"},
		{"unstamped", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Deps: []*debug.Module{pn}},
			"match:        (devel)\nrevision:     unknown (built without VCS stamping)\ngo:           go1.26.8\nphonenumbers: v1.8.1\n",
			"match (devel), go1.26.8, phonenumbers v1.8.1"},
		{"replaced", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"},
			Deps: []*debug.Module{{Path: PhonenumbersPath, Version: "v1.8.1", Replace: &debug.Module{Path: "../phonenumbers"}}}},
			"match:        v1.2.0\nrevision:     unknown (built without VCS stamping)\ngo:           go1.26.8\nphonenumbers: v1.8.1 => ../phonenumbers\n",
			"match v1.2.0, go1.26.8, phonenumbers v1.8.1 => ../phonenumbers"},
		{"no info", nil,
			"match:        unknown\nrevision:     unknown (built without VCS stamping)\ngo:           " + runtime.Version() + "\nphonenumbers: unknown\n",
			"match unknown, " + runtime.Version() + ", phonenumbers unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := Of("match", tc.info)
			if got := b.Text(); got != tc.text {
				t.Errorf("text:\n%s\nwant:\n%s", got, tc.text)
			}
			if got := b.String(); got != tc.line {
				t.Errorf("String: %s\nwant:   %s", got, tc.line)
			}
		})
	}
}
