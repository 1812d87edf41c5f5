package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audiencematch/audiencematch/privacy"
)

// TestRun_AuditByKind: the audit of a multi-key list has the exact
// figures by identifier kind, matches included, and the same list gives
// the same figures from the user base and from its index; neither the
// audit nor the report holds an address.
func TestRun_AuditByKind(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"users.csv", "optouts.csv", "list.csv"} {
		b, err := os.ReadFile(filepath.Join("../../testdata/cli/run-keys-uid2", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	idx := filepath.Join(dir, "base.idx")
	if code, _, stderr := runArgs("index", "build", "--users", filepath.Join(dir, "users.csv"), "--out", idx); code != 0 {
		t.Fatalf("index build: %d %s", code, stderr)
	}
	var audits []privacy.Audit
	for _, base := range []string{"--users=" + filepath.Join(dir, "users.csv"), "--index=" + idx} {
		audit := filepath.Join(dir, "audit.jsonl")
		os.Remove(audit)
		code, _, stderr := runArgs("run", base, "--optouts", filepath.Join(dir, "optouts.csv"), "--list", filepath.Join(dir, "list.csv"),
			"--hash-format", "uid2", "--out", filepath.Join(dir, "audience.csv"), "--report", filepath.Join(dir, "report.json"),
			"--audit", audit, "--min-audience", "0", "--epsilon", "0")
		if code != 0 {
			t.Fatalf("run %s: exit %d: %s", base, code, stderr)
		}
		b, err := os.ReadFile(audit)
		if err != nil {
			t.Fatal(err)
		}
		report, _ := os.ReadFile(filepath.Join(dir, "report.json"))
		for _, out := range []string{string(b), string(report), stderr} {
			if strings.Contains(out, "@") {
				t.Errorf("an output holds an address:\n%s", out)
			}
		}
		var a privacy.Audit
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatal(err)
		}
		audits = append(audits, a)
	}
	for i, a := range audits {
		ph, em := a.Exact.Phone, a.Exact.Email
		// run-keys-uid2: u02, u04, u08 and u01 (phone2) by phone;
		// u03, u02, u01, u07 and u06 by address, eve's (opted out) not.
		if ph.Accepted != 5 || ph.Matched != 4 || em.Accepted != 6 || em.Matched != 5 || a.Exact.Matched != 8 {
			t.Errorf("audit %d: exact %+v", i, a.Exact)
		}
	}
}
