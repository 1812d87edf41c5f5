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
// rejected row), the report agreeing with it, rounded, identifiers by kind
// included; no opted-out user and no user twice in the audience; no
// address in the report, the rejects or on stderr.
func FuzzRun(f *testing.F) {
	list, _ := os.ReadFile("../../testdata/demo/list.csv")
	f.Add(list)
	f.Add([]byte("phone\n+16502530000\n\n\"x\n,\n"))
	f.Add([]byte("hash\na2996076d3ad4af5dc818b908b3d8e354f26ededf7df0e0aa6ac354143805ee0\nzz\n"))
	f.Add([]byte("\xef\xbb\xbfPhone,Country\n020 7183 8750,gb\n00 44 20 7183 8750,DE\n1-800-FLOWERS,\n"))
	f.Add([]byte(""))
	f.Add([]byte("phone,phone2,email,email2,country\n+16502530000,,Jane.Doe@Gmail.com,,US\n,12,a b@x.com,@x.com,\n"))
	f.Add([]byte("email,email,phone,phone,fn,country\nx@y.co,,16502530000,,jo,US\n,,,,,\n"))
	f.Add([]byte("Email,Phone,First Name,Email\nb4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514,,a,z@z\n"))
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
		if rp.Phones.Accepted != rep.Phone.Accepted || rp.Emails.Accepted != rep.Email.Accepted ||
			rp.Phones.Rejected != rep.Phone.Rejected || rp.Emails.Rejected != rep.Email.Rejected ||
			rep.Phone.Matched > rep.Phone.Accepted || rep.Email.Matched > rep.Email.Accepted {
			t.Fatalf("identifiers by kind: report %+v %+v, audit %+v %+v", rp.Phones, rp.Emails, rep.Phone, rep.Email)
		}
		if rep.Rows != rep.Matched+rep.Unmatched+rep.Rejected {
			t.Fatalf("rows %d != matched %d + unmatched %d + rejected %d", rep.Rows, rep.Matched, rep.Unmatched, rep.Rejected)
		}
		rj, _ := os.ReadFile(rejects)
		for name, s := range map[string]string{"audit": string(b), "rejects": string(rj), "stderr": stderr.String()} {
			if strings.Contains(s, "@") {
				t.Fatalf("%s holds an address:\n%s", name, s)
			}
		}
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
