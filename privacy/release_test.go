package privacy

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/audiencematch/audiencematch/matcher"
)

// TestDecide covers the release decision as both commands take it: the
// minimum read literally (0 releases everything, even nothing), then the
// history; the report names the audience only if released.
func TestDecide(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	st := func(audience int64) matcher.Stats {
		return matcher.Stats{Rows: 500, Accepted: 400, Rejected: 100, Matched: 300, Unmatched: 100, Audience: audience}
	}
	cases := []struct {
		name     string
		audience int64
		min      int64
		want     Decision
		reported int64 // 0: no size in the report
	}{
		{"no minimum, empty audience", 0, 0, Released, 0},
		{"no minimum, one user", 1, 0, Released, 1},
		{"at the minimum", 100, 100, Released, 100},
		{"one under", 99, 100, BelowMinimum, 0},
		{"rounded down", 157, 100, Released, 150},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rel, err := Decide(Outcome{Stats: st(c.audience), List: "l.csv"}, Guards{MinAudience: c.min}, now)
			if err != nil {
				t.Fatal(err)
			}
			if rel.Decision != c.want || rel.Report.Status != c.want || rel.Audit.Decision != c.want {
				t.Errorf("decision %q, report %q, audit %q; want %q", rel.Decision, rel.Report.Status, rel.Audit.Decision, c.want)
			}
			if rel.Released() != (c.want == Released) {
				t.Errorf("Released() = %v", rel.Released())
			}
			var size int64
			if rel.Report.AudienceSize != nil {
				size = *rel.Report.AudienceSize
			}
			if (rel.Report.AudienceSize != nil) != (c.want == Released) || size != c.reported || rel.Audit.Reported != c.reported {
				t.Errorf("report size %v, audit reported %d; want %d", rel.Report.AudienceSize, rel.Audit.Reported, c.reported)
			}
			if rel.Audit.Exact.Audience != c.audience || rel.Audit.MinAudience != c.min || rel.Report.MinAudience != c.min {
				t.Errorf("audit %+v", rel.Audit)
			}
			if rel.Report.ListKind != "phone" || rel.Report.HashFormat != "" || rel.Report.List != "l.csv" {
				t.Errorf("report names %q %q %q", rel.Report.List, rel.Report.ListKind, rel.Report.HashFormat)
			}
		})
	}
	rel, _ := Decide(Outcome{Stats: st(200), List: "h.csv", HashFormat: "uid2"}, Guards{}, now)
	if rel.Report.ListKind != "hash" || rel.Report.HashFormat != "uid2" {
		t.Errorf("hashed list: kind %q, format %q", rel.Report.ListKind, rel.Report.HashFormat)
	}
}

func TestDecide_BadGuards(t *testing.T) {
	h, err := OpenHistory(filepath.Join(t.TempDir(), "h.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for name, g := range map[string]Guards{
		"negative minimum":    {MinAudience: -1},
		"advertiser alone":    {Advertiser: "a"},
		"history alone":       {History: h},
		"history, sketchless": {Advertiser: "a", History: h},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Decide(Outcome{}, g, time.Now()); !errors.Is(err, ErrGuards) {
				t.Errorf("Decide: %v, want ErrGuards", err)
			}
		})
	}
}

// TestRelease_Log: the audit line is the record Decide returned; only a
// released audience enters the history, and a named run enters it once.
func TestRelease_Log(t *testing.T) {
	dir := t.TempDir()
	audit := filepath.Join(dir, "audit.jsonl")
	h, err := OpenHistory(filepath.Join(dir, "h.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	g := Guards{MinAudience: 10, Advertiser: "adv", History: h, Run: "r1"}
	decide := func(from, to int) *Release {
		t.Helper()
		s := sketchOf(h, from, to)
		rel, err := Decide(Outcome{Stats: matcher.Stats{Audience: s.Len()}, Sketch: s, List: "l.csv"}, g, now)
		if err != nil {
			t.Fatal(err)
		}
		return rel
	}
	first := decide(0, 150)
	if !first.Released() {
		t.Fatalf("first audience: %s", first.Decision)
	}
	for range 2 { // a retried step
		if err := first.Log(audit); err != nil {
			t.Fatal(err)
		}
	}
	g.Run = "r2"
	if close := decide(0, 151); close.Decision != TooCloseToPast || *close.Audit.Nearest != 1 {
		t.Errorf("one user more: %s, nearest %v", close.Decision, close.Audit.Nearest)
	} else if err := close.Log(audit); err != nil {
		t.Fatal(err)
	}
	g.Run = "r3"
	if far := decide(0, 300); !far.Released() {
		t.Errorf("twice the audience: %s", far.Decision)
	}

	f, err := os.Open(audit)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []Audit
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var a Audit
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
	}
	if len(got) != 2 || got[0].Decision != Released || got[0].Run != "r1" || got[1].Decision != TooCloseToPast {
		t.Errorf("audit log: %+v", got)
	}
	if n := len(h.file.Advertisers["adv"]); n != 1 {
		t.Errorf("history holds %d releases, want 1 (the withheld one is not recorded, the retried one once)", n)
	}
}
