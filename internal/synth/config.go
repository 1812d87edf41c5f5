package synth

import (
	"fmt"
	"strings"
)

// MaxUsers is the largest Config.Users: user ids are "u" and 9 digits, one
// per user.
const MaxUsers = 1_000_000_000

// Config says what to generate. The zero value generates nothing; every
// field's zero value is documented.
//
// Output is a pure function of the Config, given the phonenumbers metadata
// in go.mod and math/rand/v2's PCG: the same Config gives byte-identical
// output on every run and machine.
type Config struct {
	// Seed selects the data set. Same seed and same other fields give
	// byte-identical output; another seed gives an independent draw (so,
	// beyond a handful of rows, different output).
	Seed uint64

	// Users is the number of rows in the user base, 0..MaxUsers. Zero: an
	// empty base.
	Users int

	// OptOutRate is the probability, in [0, 1], that a user is opted out,
	// drawn independently per user. Zero: nobody opts out.
	OptOutRate float64

	// ListRows is the number of rows in the contact list, >= 0.
	ListRows int

	// MatchRate is the probability, in [0, 1], that a list row is the phone
	// of a user of the base (drawn uniformly among all users, opted out or
	// not, so the same user may appear more than once). Zero: no list row
	// is in the base. MatchRate > 0 with ListRows > 0 needs Users > 0.
	MatchRate float64

	// BadRate is the probability, in [0, 1], that a list row is junk that no
	// normalizer accepts (empty, "n/a", letters, too few digits, too long,
	// a malformed hash). MatchRate+BadRate must not exceed 1; the remaining
	// rows are valid phones that are in no user base of this Seed.
	BadRate float64

	// Clean, if true, writes the list's phones in the ASCII styles of
	// List only. False (the zero value) adds the mess of real exports at
	// realistic shares (see mess.go): no-break spaces, Unicode dashes,
	// zero-width characters, labels, trailing punctuation, runs of blanks
	// and spelled-out extensions in every region; full-width digits in
	// East Asian rows, Arabic-Indic and Persian digits in Arabic- and
	// Persian-script regions; and, among the junk rows, numbers spoilt by
	// a character the library refuses (a narrow no-break or thin space,
	// a tab, a stray quote, a byte of invalid UTF-8, "!"). Every such row
	// normalizes as its clean form, or is junk. The users are the same
	// either way.
	Clean bool

	// Events is the number of rows in the consent event log, >= 0 (see
	// Events). Events > 0 needs Users > 0. Zero: no events.
	Events int

	// Regions are the ISO 3166-1 alpha-2 regions phones are drawn from,
	// uniformly per row (list a region twice to double its share); any case
	// is accepted and output is upper case. Nil: DefaultRegions(). An empty
	// non-nil slice is an error.
	Regions []string

	// Keys, if not nil, configures the multi-key files of KeyUsers and
	// KeyList (email.go): users' email addresses and list rows with
	// several phones and emails. Nil: users have no address, and KeyList
	// rows are List's rows, one phone each.
	Keys *Keys
}

// Validate returns nil if c is usable, else an error wrapping ErrConfig
// that names the field at fault. It builds the tables of c's regions, so
// its first call for a region costs a few milliseconds.
func (c Config) Validate() error {
	_, err := resolve(c)
	return err
}

// gen is a validated Config with its region tables. Read only.
type gen struct {
	cfg     Config
	regions []*region // one per Config.Regions entry, repeats kept
	idd     []*region // regions with a simple IDD, in Config order, repeats kept
}

func resolve(c Config) (*gen, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	switch {
	case c.Users < 0 || c.Users > MaxUsers:
		return nil, bad("Users = %d, want 0..%d", c.Users, MaxUsers)
	case c.ListRows < 0:
		return nil, bad("ListRows = %d, want >= 0", c.ListRows)
	case !(c.OptOutRate >= 0 && c.OptOutRate <= 1):
		return nil, bad("OptOutRate = %v, want 0..1", c.OptOutRate)
	case !(c.MatchRate >= 0 && c.MatchRate <= 1):
		return nil, bad("MatchRate = %v, want 0..1", c.MatchRate)
	case !(c.BadRate >= 0 && c.BadRate <= 1):
		return nil, bad("BadRate = %v, want 0..1", c.BadRate)
	case c.MatchRate+c.BadRate > 1+1e-9:
		return nil, bad("MatchRate+BadRate = %v, want <= 1", c.MatchRate+c.BadRate)
	case c.Events < 0:
		return nil, bad("Events = %d, want >= 0", c.Events)
	case c.Events > 0 && c.Users == 0:
		return nil, bad("Events = %d with Users = 0: no user to draw events for", c.Events)
	case c.MatchRate > 0 && c.ListRows > 0 && c.Users == 0:
		return nil, bad("MatchRate = %v with Users = 0: no user to draw list rows from", c.MatchRate)
	case c.Regions != nil && len(c.Regions) == 0:
		return nil, bad("Regions is empty; use nil for DefaultRegions")
	}
	if c.Keys != nil {
		if err := c.Keys.validate(); err != nil {
			return nil, err
		}
	}
	codes := c.Regions
	if codes == nil {
		codes = defaultRegions[:]
	}
	g := &gen{cfg: c}
	for _, code := range codes {
		r, err := lookupRegion(strings.ToUpper(code))
		if err != nil {
			return nil, err
		}
		g.regions = append(g.regions, r)
		if r.idd != "" {
			g.idd = append(g.idd, r)
		}
	}
	return g, nil
}
