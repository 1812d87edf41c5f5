package synth

import "math/rand/v2"

// Phones of users have an even E.164 digit sum and the other valid phones of
// the list an odd one, so a list row drawn "not from the base" can never be
// a user's phone, whatever the base: the two sets are disjoint by
// construction, without holding either.
const (
	parityMember    = 0
	parityNonMember = 1
)

// phone is a drawn phone number: a template, one of its heads and the
// national significant number (head digits followed by the tail).
type phone struct {
	t   *template
	h   *head
	nsn [maxNSNLen]byte
}

func (p *phone) digits() []byte { return p.nsn[:p.t.nsnLen] }
func (p *phone) tail() []byte   { return p.nsn[p.t.nsnLen-p.t.k : p.t.nsnLen] }

// draw fills p with a valid phone of a region drawn from g's regions, whose
// E.164 digit sum has parity want. It tries phoneAttempts fresh tails and
// then falls back to the head's known-valid number of that parity, so the
// result is always valid for its region (libphonenumber's
// IsValidNumberForRegion) and possible.
func (g *gen) draw(rng *rand.Rand, want int, p *phone) {
	r := g.regions[rng.IntN(len(g.regions))]
	t := r.tpls[0]
	if len(r.tpls) > 1 {
		w := rng.IntN(r.wsum)
		for _, c := range r.tpls {
			if w < c.weight {
				t = c
				break
			}
			w -= c.weight
		}
	}
	h := t.heads[rng.IntN(len(t.heads))]
	p.t, p.h = t, h
	nsn := p.digits()
	copy(nsn, h.digits)
	for range phoneAttempts {
		fillTail(rng, nsn, t.k, want^r.ccParity)
		if t.valid(nsn) {
			return
		}
	}
	copy(nsn, h.valid[want])
}

// appendE164 appends "+", the country code and the NSN.
func (p *phone) appendE164(dst []byte) []byte {
	dst = append(dst, '+')
	dst = append(dst, p.t.reg.cc...)
	return append(dst, p.digits()...)
}

// appendNational appends libphonenumber's NATIONAL format of p.
func (p *phone) appendNational(dst []byte) []byte {
	return appendSubstTail(dst, p.h.nat, p.tail())
}

// appendIntl appends libphonenumber's INTERNATIONAL format of p.
func (p *phone) appendIntl(dst []byte) []byte {
	return appendSubstTail(dst, p.h.intl, p.tail())
}

// appendRFC3966 appends libphonenumber's RFC3966 format of p ("tel:+44-…").
func (p *phone) appendRFC3966(dst []byte) []byte {
	return appendSubstTail(dst, p.h.rfc, p.tail())
}
