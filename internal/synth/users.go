package synth

import (
	"iter"
	"math/rand/v2"
)

// User is one row of the user base.
type User struct {
	// ID is "u" followed by 9 digits, unique within a Config's users.
	ID string
	// Phone is the verified phone as a platform stores it: E.164 for about
	// 90% of users, libphonenumber's NATIONAL format of the number for the
	// rest (where that format parses back to the same number).
	Phone string
	// Country is the phone's region, ISO 3166-1 alpha-2, upper case.
	// phonenumbers.Parse(Phone, Country) gives a valid, possible number.
	Country string
}

// nationalUserShare is the share of users whose phone is stored in national
// format.
const nationalUserShare = 0.10

// Users returns the user base of cfg in index order, cfg.Users rows. User i
// is a pure function of (cfg.Seed, cfg.Regions, i): nothing is held between
// rows, so memory stays constant whatever cfg.Users. Phones are valid for
// their region and have an even E.164 digit sum (see List). If cfg is
// invalid (see Config.Validate) the sequence is empty.
func Users(cfg Config) iter.Seq[User] {
	return func(yield func(User) bool) {
		g, err := resolve(cfg)
		if err != nil {
			return
		}
		var ur userRow
		for i := range cfg.Users {
			g.user(i, &ur)
			if !yield(User{ID: string(ur.id[:]), Phone: string(ur.phone), Country: ur.country}) {
				return
			}
		}
	}
}

// OptOuts returns the ids of the opted-out users of cfg, in user index
// order: each user opts out with probability cfg.OptOutRate, independently,
// as a pure function of (cfg.Seed, i). Every id is one of Users(cfg). It
// does not generate phones, so it is cheap. If cfg is invalid the sequence
// is empty.
func OptOuts(cfg Config) iter.Seq[string] {
	return func(yield func(string) bool) {
		g, err := resolve(cfg)
		if err != nil {
			return
		}
		var id [10]byte
		for i := range cfg.Users {
			if g.optedOut(i) {
				g.userID(i, &id)
				if !yield(string(id[:])) {
					return
				}
			}
		}
	}
}

// userRow is the scratch space of one generated user; its slices are
// reused by the next call.
type userRow struct {
	pcg     rand.PCG
	rng     *rand.Rand
	p       phone
	id      [10]byte
	phone   []byte
	country string
	e164    []byte
}

// user fills ur with user i.
func (g *gen) user(i int, ur *userRow) {
	g.userPhone(i, ur)
	g.userID(i, &ur.id)
	ur.country = ur.p.t.reg.code
	if ur.p.t.nationalOK && ur.rng.Float64() < nationalUserShare {
		ur.phone = ur.p.appendNational(ur.phone[:0])
		if ur.p.t.checkNational {
			ur.e164 = ur.p.appendE164(ur.e164[:0])
			if !parsesTo(ur.phone, ur.country, ur.e164) {
				ur.phone = append(ur.phone[:0], ur.e164...)
			}
		}
	} else {
		ur.phone = ur.p.appendE164(ur.phone[:0])
	}
}

// userPhone draws user i's phone into ur.p, leaving ur.rng positioned after
// the phone's draws. The list calls it to regenerate a user's phone.
func (g *gen) userPhone(i int, ur *userRow) {
	if ur.rng == nil {
		ur.rng = rand.New(&ur.pcg)
	}
	ur.pcg.Seed(rowSeed(g.cfg.Seed, streamUser, uint64(i)))
	g.draw(ur.rng, parityMember, &ur.p)
}

// optedOut reports whether user i opted out.
func (g *gen) optedOut(i int) bool {
	a, _ := rowSeed(g.cfg.Seed, streamOptOut, uint64(i))
	return unitFloat(a) < g.cfg.OptOutRate
}

// idMul is coprime with 10^9, so i -> (i*idMul + offset) mod 10^9 is a
// permutation of 0..10^9-1: ids are unique and do not reveal the index.
const idMul = 387420489 // 3^18

// userID writes user i's id, "u" and 9 digits, into id.
func (g *gen) userID(i int, id *[10]byte) {
	off := streamBase(g.cfg.Seed, streamID) % MaxUsers
	v := (uint64(i)*idMul + off) % MaxUsers
	id[0] = 'u'
	for j := 9; j >= 1; j-- {
		id[j] = byte('0' + v%10)
		v /= 10
	}
}
