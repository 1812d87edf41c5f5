package privacy

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/audiencematch/audiencematch/matcher"
)

func TestRound(t *testing.T) {
	for _, tc := range []struct{ in, want int64 }{
		{0, 0}, {7, 7}, {99, 99}, {100, 100}, {101, 100}, {157, 150}, {199, 190}, {999, 990},
		{1000, 1000}, {1099, 1000}, {1234, 1200}, {99999, 99000}, {100999, 100000}, {5052419, 5000000},
	} {
		if got := Round(tc.in); got != tc.want {
			t.Errorf("Round(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestNewReport(t *testing.T) {
	st := matcher.Stats{Rows: 10, Accepted: 8, Rejected: 2, Matched: 6, Unmatched: 2, Audience: 157}
	r := NewReport(st, Released, 100)
	if *r.AudienceSize != 150 || *r.MatchRate != 1 /* capped: 150 over 8 accepted */ || r.RejectedBy == nil {
		t.Errorf("released: %+v", r)
	}
	for _, d := range []Decision{BelowMinimum, TooCloseToPast} {
		if r := NewReport(st, d, 100); r.AudienceSize != nil || r.MatchRate != nil || r.Status != d {
			t.Errorf("%s: %+v", d, r)
		}
	}
}

func sketchOf(h *History, from, to int) *Sketch {
	s := h.NewSketch()
	for i := from; i < to; i++ {
		s.Add(fmt.Sprintf("user%d", i))
	}
	return s
}

// TestDifference: exact below SketchSize; within the documented error
// above it.
func TestDifference(t *testing.T) {
	h, err := OpenHistory(filepath.Join(t.TempDir(), "h.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, tc := range []struct {
		a, b [2]int
		want int64
		tol  float64 // relative
	}{
		{[2]int{0, 150}, [2]int{0, 151}, 1, 0},
		{[2]int{0, 150}, [2]int{1, 151}, 2, 0},
		{[2]int{0, 150}, [2]int{0, 150}, 0, 0},
		{[2]int{0, 4000}, [2]int{2000, 4096}, 2000 + 96, 0},
		{[2]int{0, 100000}, [2]int{0, 100001}, 1, 0}, // the size gap is exact
		{[2]int{0, 100000}, [2]int{50000, 150000}, 100000, 0.1},
		{[2]int{0, 200000}, [2]int{20000, 200000}, 20000, 0.25},
	} {
		a, b := sketchOf(h, tc.a[0], tc.a[1]), sketchOf(h, tc.b[0], tc.b[1])
		got := difference(a.values(), a.Len(), b.values(), b.Len())
		if math.Abs(float64(got-tc.want)) > tc.tol*float64(tc.want) {
			t.Errorf("%v vs %v: %d, want %d ± %.0f%%", tc.a, tc.b, got, tc.want, 100*tc.tol)
		}
	}
}

// TestRun: a named run logs its decision once, however often a runner
// retries the step; unnamed runs always add.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	audit := filepath.Join(dir, "audit.jsonl")
	a := Audit{List: "list.csv", Decision: Released, Run: "0123abcd"}
	for _, r := range []Audit{a, a, {List: `"run":"0123abcd"`, Decision: Released}, {List: "x"}, {List: "x"}, {List: "y", Run: "ffff"}, a} {
		if err := AppendAudit(audit, r); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n != 5 {
		t.Errorf("audit log has %d lines; want 5 (run 0123abcd once, a list named like it, two unnamed, run ffff):\n%s", n, b)
	}

}

// TestAudit_Engine checks that an audit record names the engine that
// decided, as "engine", only when the caller says which.
func TestAudit_Engine(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	for _, v := range []string{"match v1.2.0, go1.26.8, phonenumbers v1.8.1", ""} {
		if err := AppendAudit(audit, Audit{List: "l", Decision: Released, Version: v}); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(audit)
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) != 2 || !bytes.Contains(lines[0], []byte(`"engine":"match v1.2.0, go1.26.8, phonenumbers v1.8.1"`)) || bytes.Contains(lines[1], []byte(`"engine"`)) {
		t.Errorf("audit log:\n%s", b)
	}
}
