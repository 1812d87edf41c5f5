package consent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/audiencematch/audiencematch/matcher"
)

// Snapshot is what a match takes.
var _ matcher.Consent = (*Snapshot)(nil)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// openTemp opens a new ledger in a temporary directory, without fsync.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "consent.db"), &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ev(user, purpose string, c Choice, sec int, source string) Event {
	return Event{UserID: user, Purpose: purpose, Choice: c, Time: t0.Add(time.Duration(sec) * time.Second), Source: source}
}

func TestEvent_Supersedes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		e, old   Event
		want     bool
		wantBack bool // old.Supersedes(e)
	}{
		{"later wins", ev("u", "ads", OptIn, 2, ""), ev("u", "ads", OptOut, 1, ""), true, false},
		{"earlier loses", ev("u", "ads", OptOut, 1, ""), ev("u", "ads", OptIn, 2, ""), false, true},
		{"tie: opt-out wins", ev("u", "ads", OptOut, 1, "a"), ev("u", "ads", OptIn, 1, "b"), true, false},
		{"tie, same choice: greater source", ev("u", "ads", OptIn, 1, "b"), ev("u", "ads", OptIn, 1, "a"), true, false},
		{"itself", ev("u", "ads", OptIn, 1, "a"), ev("u", "ads", OptIn, 1, "a"), false, false},
		{"same instant in another zone", ev("u", "ads", OptIn, 0, ""),
			Event{Choice: OptOut, Time: t0.In(time.FixedZone("X", 7200))}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.Supersedes(tc.old); got != tc.want {
				t.Errorf("e.Supersedes(old) = %v, want %v", got, tc.want)
			}
			if got := tc.old.Supersedes(tc.e); got != tc.wantBack {
				t.Errorf("old.Supersedes(e) = %v, want %v", got, tc.wantBack)
			}
		})
	}
}

func TestEvent_Normalize(t *testing.T) {
	long := string(make([]byte, MaxFieldLen+1))
	for _, tc := range []struct {
		name string
		e    Event
		want Event
		err  error
	}{
		{"trims and lower-cases", Event{UserID: " u1 ", Purpose: " Ads ", Choice: OptOut, Time: t0.In(time.FixedZone("X", 3600)), Source: " web "},
			Event{UserID: "u1", Purpose: "ads", Choice: OptOut, Time: t0, Source: "web"}, nil},
		{"empty user", Event{UserID: " ", Purpose: "ads", Choice: OptOut, Time: t0}, Event{}, ErrEmptyUser},
		{"empty purpose", Event{UserID: "u", Choice: OptOut, Time: t0}, Event{}, ErrEmptyPurpose},
		{"no choice", Event{UserID: "u", Purpose: "ads", Time: t0}, Event{}, ErrChoice},
		{"zero time", Event{UserID: "u", Purpose: "ads", Choice: OptIn}, Event{}, ErrTimeRange},
		{"long user", Event{UserID: long, Purpose: "ads", Choice: OptIn, Time: t0}, Event{}, ErrTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.e.Normalize()
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil && (got != tc.want || got.Time.Location() != time.UTC) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in     string
		choice Choice
		policy Policy
		err    bool
	}{
		{"opt-out", OptOut, PolicyOptOut, false},
		{" OPT-IN ", OptIn, PolicyOptIn, false},
		{"optout", 0, 0, true},
		{"", 0, 0, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			c, err := ParseChoice(tc.in)
			if (err != nil) != tc.err || c != tc.choice {
				t.Errorf("ParseChoice = %v, %v", c, err)
			}
			if err == nil && c.String() != tc.choice.String() {
				t.Errorf("String = %q", c)
			}
			p, err := ParsePolicy(tc.in)
			if (err != nil) != tc.err || p != tc.policy {
				t.Errorf("ParsePolicy = %v, %v", p, err)
			}
		})
	}
	for _, tc := range []struct {
		in   string
		want time.Time
		err  error
	}{
		{"2024-05-01T12:00:00Z", t0, nil},
		{"2024-05-01T14:00:00.5+02:00", t0.Add(500 * time.Millisecond), nil},
		{"2024-05-01 12:00:00", time.Time{}, ErrTime},
		{"2024-05-01", time.Time{}, ErrTime},
		{"1500-01-01T00:00:00Z", time.Time{}, ErrTimeRange},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseTime(tc.in)
			if !errors.Is(err, tc.err) || !got.Equal(tc.want) {
				t.Errorf("ParseTime = %v, %v; want %v, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestStore_Record_Get(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	if err := s.Record(ctx,
		ev("u1", "ads", OptOut, 10, "app"),
		ev("u1", "ads", OptIn, 5, "web"), // older: loses
		ev("u1", "email", OptIn, 1, ""),
		ev("u2", "Ads", OptIn, 1, "web"),
	); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, ev("u2", "ads", OptOut, 0, "late")); err != nil { // older, arriving later
		t.Fatal(err)
	}
	got, err := s.Get(" u1")
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{ev("u1", "ads", OptOut, 10, "app"), ev("u1", "email", OptIn, 1, "")}
	if !slices.EqualFunc(got, want, eventEqual) {
		t.Errorf("Get(u1) = %v, want %v", got, want)
	}
	got, _ = s.Get("u2")
	if want := []Event{ev("u2", "ads", OptIn, 1, "web")}; !slices.EqualFunc(got, want, eventEqual) {
		t.Errorf("Get(u2) = %v, want %v", got, want)
	}
	if got, _ := s.Get("nobody"); len(got) != 0 {
		t.Errorf("Get(nobody) = %v", got)
	}
	if err := s.Record(ctx, ev("u3", "ads", OptIn, 0, ""), Event{UserID: "u4"}); err == nil {
		t.Error("Record with an invalid event: no error")
	}
	if got, _ := s.Get("u3"); len(got) != 0 {
		t.Errorf("a failed Record recorded %v", got)
	}
}

func eventEqual(a, b Event) bool {
	a, _ = a.Normalize()
	b, _ = b.Normalize()
	return a == b
}

func TestStore_Events_Order(t *testing.T) {
	s := openTemp(t)
	in := []Event{
		ev("u1a", "ads", OptIn, 1, ""), ev("u1", "email", OptIn, 1, ""), ev("u1", "ads", OptOut, 1, ""),
		ev("u2", "zz", OptOut, 1, ""), ev("u0", "zz", OptOut, 1, ""), ev("u0", "b", OptIn, 1, ""),
	}
	if err := s.Record(context.Background(), in...); err != nil {
		t.Fatal(err)
	}
	var got []string
	for e, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.UserID+"/"+e.Purpose)
	}
	want := []string{"u0/b", "u0/zz", "u1/ads", "u1/email", "u1a/ads", "u2/zz"}
	if !slices.Equal(got, want) {
		t.Errorf("Events = %v, want %v", got, want)
	}
	ps, _ := s.Purposes()
	if want := []string{"ads", "b", "email", "zz"}; !slices.Equal(ps, want) {
		t.Errorf("Purposes = %v, want %v", ps, want)
	}
}

func TestOpen_Errors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, make([]byte, 1<<14), 0o644)
	for _, tc := range []struct {
		name string
		path string
		opts *Options
		is   error
	}{
		{"missing, read-only", filepath.Join(dir, "missing.db"), &Options{ReadOnly: true}, fs.ErrNotExist},
		{"empty, read-only", empty, &Options{ReadOnly: true}, ErrNotLedger},
		{"not bbolt", junk, nil, ErrNotLedger},
		{"not bbolt, read-only", junk, &Options{ReadOnly: true}, ErrNotLedger},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(tc.path, tc.opts)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("Open = %v, want %v", err, tc.is)
			}
		})
	}
}

func TestOpen_ReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Record(context.Background(), ev("u1", "ads", OptOut, 0, ""))
	// A writer holds the file: a reader times out.
	if _, err := Open(path, &Options{ReadOnly: true, Timeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Errorf("read-only Open while a writer has it: %v, want ErrLocked", err)
	}
	s.Close()
	r1, err := Open(path, &Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(path, &Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	defer r2.Close()
	if err := r1.Record(context.Background(), ev("u2", "ads", OptOut, 0, "")); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Record on a read-only store: %v", err)
	}
	snap, err := r2.Snapshot("ads", PolicyOptOut)
	if err != nil || !snap.Excludes("u1") || snap.Excludes("u2") {
		t.Errorf("snapshot of a read-only store: %v, %v", snap, err)
	}
}

func TestStore_Closed(t *testing.T) {
	s := openTemp(t)
	s.Close()
	if err := s.Record(context.Background(), ev("u1", "ads", OptOut, 0, "")); !errors.Is(err, ErrClosed) {
		t.Errorf("Record = %v, want ErrClosed", err)
	}
	if _, err := s.Snapshot("ads", PolicyOptOut); !errors.Is(err, ErrClosed) {
		t.Errorf("Snapshot = %v, want ErrClosed", err)
	}
}

func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	s.Record(ctx, ev("out", "ads", OptOut, 1, ""), ev("in", "ads", OptIn, 1, ""), ev("emailonly", "email", OptOut, 1, ""))
	for _, tc := range []struct {
		policy  Policy
		purpose string
		want    map[string]bool // id: excluded
	}{
		{PolicyOptOut, "ads", map[string]bool{"out": true, " out ": true, "in": false, "emailonly": false, "unknown": false}},
		{PolicyOptIn, "ads", map[string]bool{"out": true, "in": false, "emailonly": true, "unknown": true}},
		{PolicyOptOut, "EMAIL", map[string]bool{"out": false, "emailonly": true}},
		{PolicyOptIn, "nosuchpurpose", map[string]bool{"in": true, "unknown": true}},
		{PolicyOptOut, "nosuchpurpose", map[string]bool{"out": false}},
	} {
		t.Run(fmt.Sprintf("%v/%s", tc.policy, tc.purpose), func(t *testing.T) {
			snap, err := s.Snapshot(tc.purpose, tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			for id, want := range tc.want {
				if got := snap.Excludes(id); got != want {
					t.Errorf("Excludes(%q) = %v, want %v", id, got, want)
				}
			}
		})
	}
	a, _ := s.Snapshot("ads", PolicyOptOut)
	if b, _ := s.Snapshot("", PolicyOptOut); a != b {
		t.Error("an unchanged ledger gave a new snapshot")
	}
	s.Record(ctx, ev("in", "ads", OptOut, 2, ""))
	b, _ := s.Snapshot("ads", PolicyOptOut)
	if a == b || a.Excludes("in") || !b.Excludes("in") {
		t.Error("a snapshot changed, or the next one did not see the write")
	}
	if (*Snapshot)(nil).Excludes("x") {
		t.Error("nil snapshot excludes")
	}
}
