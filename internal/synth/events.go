package synth

import (
	"iter"
	"math/rand/v2"
	"time"
)

// Event is one row of a consent event log, as an ad service exports it for
// the consent ledger (package consent): a user of the base chose Choice,
// "opt-out" or "opt-in", for Purpose, effective at Time, through Source.
type Event struct {
	UserID  string
	Purpose string
	Choice  string
	Time    time.Time
	Source  string
}

// eventsStart is the effective time of event 0; event j is due eventStep
// later than event j-1.
var eventsStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	eventStep       = 3 * time.Second
	lateShare       = 0.05               // events that arrive late: their time is before their neighbours'
	lateMax         = 7 * 24 * time.Hour // how late at most
	eventsPurposeAd = 0.80               // share of "ads" events; "email" and "analytics" share the rest
)

var eventSources = [...]string{"web", "web", "app", "app", "support", ""}

// Events returns the consent event log of cfg, cfg.Events rows in log
// order. Event j is a pure function of (cfg.Seed, cfg.Users,
// cfg.OptOutRate, j):
//
//   - its user is user i of Users(cfg), i uniform in [0, Users), so a user
//     may have many events or none;
//   - its purpose is "ads" for 80% of events, else "email" or "analytics";
//   - its choice is "opt-out" with probability OptOutRate, else "opt-in";
//   - its time is 2024-01-01T00:00:00Z plus 3 s per event, except that 5%
//     of events arrive late, with a time up to 7 days earlier: the log is
//     out of order, and a later line does not always win;
//   - its source is "web", "app", "support" or empty.
//
// If cfg is invalid (see Config.Validate) the sequence is empty.
func Events(cfg Config) iter.Seq[Event] {
	return func(yield func(Event) bool) {
		g, err := resolve(cfg)
		if err != nil {
			return
		}
		var er eventRow
		for j := range cfg.Events {
			g.event(j, &er)
			if !yield(Event{UserID: string(er.id[:]), Purpose: er.purpose, Choice: er.choice, Time: er.time, Source: er.source}) {
				return
			}
		}
	}
}

// eventRow is the scratch space of one generated event.
type eventRow struct {
	pcg     rand.PCG
	rng     *rand.Rand
	id      [10]byte
	purpose string
	choice  string
	time    time.Time
	source  string
}

// event fills er with event j.
func (g *gen) event(j int, er *eventRow) {
	if er.rng == nil {
		er.rng = rand.New(&er.pcg)
	}
	er.pcg.Seed(rowSeed(g.cfg.Seed, streamEvent, uint64(j)))
	rng := er.rng
	g.userID(rng.IntN(g.cfg.Users), &er.id)
	switch x := rng.Float64(); {
	case x < eventsPurposeAd:
		er.purpose = "ads"
	case x < eventsPurposeAd+(1-eventsPurposeAd)/2:
		er.purpose = "email"
	default:
		er.purpose = "analytics"
	}
	er.choice = "opt-in"
	if rng.Float64() < g.cfg.OptOutRate {
		er.choice = "opt-out"
	}
	er.time = eventsStart.Add(time.Duration(j) * eventStep)
	if rng.Float64() < lateShare {
		er.time = er.time.Add(-time.Duration(rng.Int64N(int64(lateMax/time.Second))+1) * time.Second)
	}
	er.source = eventSources[rng.IntN(len(eventSources))]
}
