package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audiencematch/audiencematch/privacy"
)

// FuzzRun feeds arbitrary contact lists to match run against the demo base
// (with no minimum audience) and checks what must hold for any input: no
// crash; exit 0 or 2 (bad file), never 1; every row accounted for in the
// audit (rows = matched + unmatched + rejected, and one rejects line per
// rejected row), the report agreeing with it, rounded; no opted-out user and
// no user twice in the audience; no phone of the list in any output.
func FuzzRun(f *testing.F) {
	list, _ := os.ReadFile("../../testdata/demo/list.csv")
	f.Add(list)
	f.Add([]byte("phone\n+16502530000\n\n\"x\n,\n"))
	f.Add([]byte("hash\na2996076d3ad4af5dc818b908b3d8e354f26ededf7df0e0aa6ac354143805ee0\nzz\n"))
	f.Add([]byte("\xef\xbb\xbfPhone,Country\n020 7183 8750,gb\n00 44 20 7183 8750,DE\n1-800-FLOWERS,\n"))
	f.Add([]byte(""))
	optedOut := map[string]bool{"u004": true, "u019": true, "u025": true}
	f.Fuzz(func(t *testing.T, listCSV []byte) {
		dir := t.TempDir()
		listPath := filepath.Join(dir, "list.csv")
		if err := os.WriteFile(listPath, listCSV, 0o644); err != nil {
			t.Fatal(err)
		}
		out, reportPath, rejects := filepath.Join(dir, "out.csv"), filepath.Join(dir, "report.json"), filepath.Join(dir, "rejects.csv")
		auditPath := filepath.Join(dir, "audit.jsonl")
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"run",
			"--users", "../../testdata/demo/users.csv", "--optouts", "../../testdata/demo/optouts.csv",
			"--list", listPath, "--out", out, "--report", reportPath, "--rejects", rejects,
			"--min-audience", "0", "--epsilon", "0", "--audit", auditPath}, nil, &stdout, &stderr)
		switch code {
		case exitUsage:
			if _, err := os.Stat(out); err == nil {
				t.Fatalf("exit 2 but %s exists", out)
			}
			return
		case exitOK:
		default:
			t.Fatalf("exit %d: %s", code, &stderr)
		}
		var rp privacy.Report
		b, err := os.ReadFile(reportPath)
		if err != nil || json.Unmarshal(b, &rp) != nil || rp.AudienceSize == nil {
			t.Fatalf("report: %v %s", err, b)
		}
		var audit privacy.Audit
		b, err = os.ReadFile(auditPath)
		if err != nil || json.Unmarshal(b, &audit) != nil {
			t.Fatalf("audit: %v %s", err, b)
		}
		rep := audit.Exact
		if rp.Rows != rep.Rows || rp.Rejected != rep.Rejected || *rp.AudienceSize != privacy.Round(rep.Audience) {
			t.Fatalf("report %s does not agree with the audit's exact %+v", b, rep)
		}
		if rep.Rows != rep.Matched+rep.Unmatched+rep.Rejected {
			t.Fatalf("rows %d != matched %d + unmatched %d + rejected %d", rep.Rows, rep.Matched, rep.Unmatched, rep.Rejected)
		}
		rj, _ := os.ReadFile(rejects)
		if n := int64(strings.Count(string(rj), "\n")) - 1; n != rep.Rejected {
			t.Fatalf("%d lines in rejects, report says %d", n, rep.Rejected)
		}
		aud, _ := os.ReadFile(out)
		lines := strings.Split(strings.TrimSuffix(string(aud), "\n"), "\n")
		if lines[0] != "user_id" || int64(len(lines)-1) != rep.Audience {
			t.Fatalf("audience file %q, report says %d users", aud, rep.Audience)
		}
		seen := map[string]bool{}
		for _, id := range lines[1:] {
			if optedOut[id] || seen[id] {
				t.Fatalf("user %s opted out or repeated in %q", id, aud)
			}
			seen[id] = true
		}
	})
}
