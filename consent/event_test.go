package consent

import (
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

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
