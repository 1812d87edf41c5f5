package synth

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

func TestEvents(t *testing.T) {
	cfg := small
	cfg.Events = 5000
	var a, b bytes.Buffer
	if err := WriteEvents(&a, cfg); err != nil {
		t.Fatal(err)
	}
	WriteEvents(&b, cfg)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("same config: event logs differ")
	}
	rows, err := csv.NewReader(bytes.NewReader(a.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "user_id,purpose,choice,time,source" {
		t.Errorf("header %q", got)
	}
	if len(rows) != cfg.Events+1 {
		t.Fatalf("%d rows, want %d", len(rows)-1, cfg.Events)
	}
	ids := map[string]bool{}
	for u := range Users(cfg) {
		ids[u.ID] = true
	}
	count := map[string]int{}
	var late int
	var prev time.Time
	for i, r := range rows[1:] {
		if !ids[r[0]] {
			t.Fatalf("row %d: user %q is not in the base", i, r[0])
		}
		count[r[1]]++
		count[r[2]]++
		tm, err := time.Parse(time.RFC3339, r[3])
		if err != nil {
			t.Fatalf("row %d: time %q: %v", i, r[3], err)
		}
		if tm.Before(prev) {
			late++
		}
		prev = tm
	}
	for _, k := range []string{"ads", "email", "analytics", "opt-out", "opt-in"} {
		if count[k] == 0 {
			t.Errorf("no event with %q", k)
		}
	}
	if optOut := float64(count["opt-out"]) / float64(cfg.Events); optOut < cfg.OptOutRate/2 || optOut > cfg.OptOutRate*2 {
		t.Errorf("opt-out share %.3f, want about %.2f", optOut, cfg.OptOutRate)
	}
	if late < cfg.Events/50 {
		t.Errorf("%d events out of order, want about 5%%", late)
	}
	var i int
	for e := range Events(cfg) {
		if r := rows[i+1]; e.UserID != r[0] || e.Choice != r[2] || e.Time.Format(time.RFC3339) != r[3] {
			t.Fatalf("Events row %d = %+v, file %v", i, e, r)
		}
		i++
	}
	bad := cfg
	bad.Users = 0
	bad.MatchRate = 0
	if err := bad.Validate(); err == nil {
		t.Error("Events without Users: valid")
	}
}
