package consent

import (
	"errors"
	"math/rand/v2"
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
		// RFC 3339's grammar, where time.Parse strays from it.
		{"2024-05-01t12:00:00z", t0, nil},
		{"2024-05-01T12:00:00z", t0, nil},
		{"2024-05-01t14:00:00+02:00", t0, nil},
		{"2016-12-31T23:59:60Z", time.Date(2016, 12, 31, 23, 59, 59, 999_999_999, time.UTC), nil},
		{"2016-12-31T23:59:60.5Z", time.Date(2016, 12, 31, 23, 59, 59, 999_999_999, time.UTC), nil},
		{"2017-01-01T08:59:60+09:00", time.Date(2016, 12, 31, 23, 59, 59, 999_999_999, time.UTC), nil},
		{"2024-05-01T12:00:60Z", time.Time{}, ErrTime}, // not at 23:59 UTC
		{"2024-05-01T23:59:60+01:00", time.Time{}, ErrTime},
		{"2024-05-01T12:00:61Z", time.Time{}, ErrTime},
		{"2024-05-01T12:00:00+24:00", time.Time{}, ErrTime},
		{"2024-05-01T12:00:00+23:60", time.Time{}, ErrTime},
		{"2024-05-02T11:59:00+23:59", t0, nil},
		{"2024-05-01T12:00:00-00:00", t0, nil},
		{"2024-05-01T12:00:00,5Z", time.Time{}, ErrTime},
		{"2024-05-01T12:00:00.Z", time.Time{}, ErrTime},
		{"2024-05-01T12:00:00.123456789999Z", t0.Add(123456789), nil},
		{"2024-05-01T12:00:00.000000001Z", t0.Add(1), nil},
		{"2024-05-01T12:00:00+0200", time.Time{}, ErrTime},
		{"2024-05-01T12:00:00", time.Time{}, ErrTime},
		{"2024-05-01T12:00Z", time.Time{}, ErrTime},
		{"2024-5-01T12:00:00Z", time.Time{}, ErrTime},
		{"2024-05-01T24:00:00Z", time.Time{}, ErrTime},
		{"2024-05-01T12:60:00Z", time.Time{}, ErrTime},
		{"2024-00-01T12:00:00Z", time.Time{}, ErrTime},
		{"2024-13-01T12:00:00Z", time.Time{}, ErrTime},
		{"2024-04-31T12:00:00Z", time.Time{}, ErrTime},
		{"2023-02-29T12:00:00Z", time.Time{}, ErrTime},
		{"2024-02-29T12:00:00Z", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC), nil},
		{"1900-02-29T12:00:00Z", time.Time{}, ErrTime},
		{"2000-02-29T12:00:00Z", time.Date(2000, 2, 29, 12, 0, 0, 0, time.UTC), nil},
		{"2024-05-01T12:00:00Z ", t0, nil},
		{"2024-05-01T12:00:00Zx", time.Time{}, ErrTime},
		{"+2024-05-01T12:00:00Z", time.Time{}, ErrTime},
		{"２０２４-05-01T12:00:00Z", time.Time{}, ErrTime},
		{"", time.Time{}, ErrTime},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseTime(tc.in)
			if !errors.Is(err, tc.err) || !got.Equal(tc.want) {
				t.Errorf("ParseTime = %v, %v; want %v, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestMatchPurpose(t *testing.T) {
	for in, want := range map[string]string{"": "ads", "  ": "ads", "ads": "ads", "ADS": "ads", " Ads ": "ads", "Email": "email"} {
		if got := MatchPurpose(in); got != want {
			t.Errorf("MatchPurpose(%q) = %q, want %q", in, got, want)
		}
	}
	if got := CanonicalUserID(" u1\t"); got != "u1" {
		t.Errorf("CanonicalUserID = %q", got)
	}
}

func TestParseEvent(t *testing.T) {
	cases := []struct {
		name                      string
		user, purpose, choice, at string
		want                      Event
		err                       error
	}{
		{"as exported", "u1", "ads", "opt-out", "2024-05-01T12:00:00Z", ev("u1", "ads", OptOut, 0, "s"), nil},
		{"as people write it", " u1 ", " ADS ", " Opt-Out ", " 2024-05-01T14:00:00+02:00 ", ev("u1", "ads", OptOut, 0, "s"), nil},
		{"bad choice first", "", "", "maybe", "never", Event{}, ErrChoice},
		{"bad time", "u1", "ads", "opt-in", "2024-05-01", Event{}, ErrTime},
		{"out of range", "u1", "ads", "opt-in", "2263-01-01T00:00:00Z", Event{}, ErrTimeRange},
		{"empty user", " ", "ads", "opt-in", "2024-05-01T12:00:00Z", Event{}, ErrEmptyUser},
		{"empty purpose", "u1", " ", "opt-in", "2024-05-01T12:00:00Z", Event{}, ErrEmptyPurpose},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseEvent(c.user, c.purpose, c.choice, c.at, " s ")
			if !errors.Is(err, c.err) || (err == nil && (got.UserID != c.want.UserID || got.Purpose != c.want.Purpose ||
				got.Choice != c.want.Choice || !got.Time.Equal(c.want.Time) || got.Time.Location() != time.UTC || got.Source != "s")) {
				t.Errorf("ParseEvent = %+v, %v; want %+v, %v", got, err, c.want, c.err)
			}
		})
	}
}

// TestLatest checks Latest against every order of the same events: the
// winner is a function of the set, and it supersedes every other event.
func TestLatest(t *testing.T) {
	if _, ok := Latest(nil); ok {
		t.Error("Latest(nil) found an event")
	}
	events := []Event{
		ev("u", "ads", OptIn, 1, "a"), ev("u", "ads", OptOut, 1, "a"), ev("u", "ads", OptIn, 2, "b"),
		ev("u", "ads", OptIn, 2, "c"), ev("u", "ads", OptOut, 0, "z"),
	}
	var permute func(k int)
	seen := 0
	permute = func(k int) {
		if k == len(events) {
			seen++
			got, ok := Latest(events)
			if !ok || got.Choice != OptIn || got.Source != "c" {
				t.Fatalf("Latest(%v) = %+v", events, got)
			}
			return
		}
		for i := k; i < len(events); i++ {
			events[k], events[i] = events[i], events[k]
			permute(k + 1)
			events[k], events[i] = events[i], events[k]
		}
	}
	permute(0)
	if seen != 120 {
		t.Fatalf("%d orders", seen)
	}
}

// TestPolicy_Deciding: knowing only whether a user's latest choice is the
// deciding one gives Excludes' answer, whatever the user chose otherwise;
// the ledger's snapshots hold just those users.
func TestPolicy_Deciding(t *testing.T) {
	for _, p := range []Policy{PolicyOptOut, PolicyOptIn} {
		for _, c := range []Choice{OptIn, OptOut} {
			holds := c == p.Deciding()
			if got, want := p.Excludes(Event{Choice: p.Deciding()}, holds), p.Excludes(Event{Choice: c}, true); got != want {
				t.Errorf("%v, latest %v: from the deciding choice %v, want %v", p, c, got, want)
			}
		}
		if got, want := p.Excludes(Event{Choice: p.Deciding()}, false), p.Excludes(Event{}, false); got != want {
			t.Errorf("%v, no choice: %v, want %v", p, got, want)
		}
	}
}

func TestEvent_CheckTime(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at   time.Time
		want error
	}{
		{now.Add(-100 * 24 * time.Hour), nil},
		{now, nil},
		{now.Add(MaxSkew), nil},
		{now.Add(MaxSkew + time.Second), ErrFuture},
		{time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC), ErrFuture},
	} {
		if err := (Event{Time: c.at}).CheckTime(now); err != c.want {
			t.Errorf("CheckTime(%v) = %v, want %v", c.at, err, c.want)
		}
	}
}

// TestParseTime_SameAsTimeParse checks ParseTime against time.Parse on
// the times both read: random instants over the ledger's range, written
// with random offsets and fractions.
func TestParseTime_SameAsTimeParse(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	layouts := []string{time.RFC3339, time.RFC3339Nano, "2006-01-02T15:04:05.000Z07:00"}
	for range 100_000 {
		at := time.Unix(0, r.Int64N(1<<62)-(1<<61)+r.Int64N(1<<61))
		zone := time.FixedZone("", (r.IntN(2*1439+1)-1439)*60) // -23:59 to +23:59
		s := at.In(zone).Format(layouts[r.IntN(len(layouts))])
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("time.Parse(%q): %v", s, err)
		}
		got, err := ParseTime(s)
		if err != nil || !got.Equal(want) {
			t.Fatalf("ParseTime(%q) = %v, %v; time.Parse gives %v", s, got, err, want)
		}
	}
}
