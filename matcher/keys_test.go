package matcher

import (
	"bytes"
	"context"

	"fmt"

	"reflect"
	"slices"
	"testing"

	"github.com/audiencematch/audiencematch/internal/synth"
	"github.com/audiencematch/audiencematch/normalize"
)

func phoneKey(col, v string) Key { return Key{Kind: normalize.KindPhone, Value: v, Column: col} }
func emailKey(col, v string) Key { return Key{Kind: normalize.KindEmail, Value: v, Column: col} }

// TestMatch_Keys: rows of several identifiers match the union of their
// identifiers' users, each user once at its first row; rows are refused
// only when no identifier is valid, with each one's reason; Phone and Email
// count identifiers.
func TestMatch_Keys(t *testing.T) {
	base := []User{
		{Line: 2, ID: "u1", Phone: "+16505550001", Email: "Jane.Doe@gmail.com"},
		{Line: 3, ID: "u2", Phone: "+16505550002"},
		{Line: 4, ID: "u2", Email: "bob@example.com"},
		{Line: 5, ID: "u3", Email: "carol@example.com"},
		{Line: 6, ID: "u4", Phone: "not a phone", Email: "dave@example.com"},
		{Line: 7, ID: "u5", Phone: "nonsense", Email: "nope"},
		{Line: 8, ID: "u6", Phone: "", Email: ""},
	}
	list := []Entry{
		{Line: 2, Keys: []Key{phoneKey("phone", "(650) 555-0002"), emailKey("email", "CAROL@example.com ")}},
		{Line: 3, Keys: []Key{phoneKey("phone", ""), emailKey("email", "bob@example.com"), emailKey("email2", "jane.doe@gmail.com")}},
		{Line: 4, Keys: []Key{phoneKey("phone", "12"), emailKey("email", "dave@example.com")}},
		{Line: 5, Keys: []Key{phoneKey("phone", "12"), emailKey("email", "a@b@c.com"), emailKey("email2", "x@localhost")}},
		{Line: 6, Keys: []Key{phoneKey("phone", " "), emailKey("email", "")}},
		{Line: 7, Keys: []Key{emailKey("email", "no-at-sign")}},
		{Line: 8, Phone: "+1 650 555 0001", Keys: []Key{emailKey("email", "nobody@example.com")}},
	}
	var userRejects []Reject
	b, err := BuildBase(context.Background(), slices.Values(base), nil, func(r Reject) { userRejects = append(userRejects, r) })
	if err != nil {
		t.Fatal(err)
	}
	wantUserRejects := []string{"line 7: no valid identifier: phone: not a phone number; email: not an email", "line 8: empty"}
	if got := rejectStrings(userRejects); !slices.Equal(got, wantUserRejects) {
		t.Errorf("user rejects %q; want %q", got, wantUserRejects)
	}
	if b.Len() != 4 {
		t.Errorf("Len() = %d; want 4 (u1 to u4)", b.Len())
	}
	res := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
		return b.Match(context.Background(), slices.Values(list), nil, y, r)
	})
	if want := []string{"u2", "u3", "u1", "u4"}; !slices.Equal(res.IDs, want) {
		t.Errorf("audience %q; want %q", res.IDs, want)
	}
	if want := []int64{2, 2, 3, 4}; !slices.Equal(res.Lines, want) {
		t.Errorf("lines %v; want %v", res.Lines, want)
	}
	wantRejects := []string{"line 5: no valid identifier: phone: not a possible number; email: not an email; email2: bad email domain", "line 6: empty", "line 7: not an email"}
	if got := rejectStrings(res.Rejects); !slices.Equal(got, wantRejects) {
		t.Errorf("rejects %q; want %q", got, wantRejects)
	}
	want := Stats{Rows: 7, Accepted: 4, Rejected: 3, Matched: 4, Audience: 4,
		RejectedBy: map[string]int64{"empty": 1, "not an email": 1, "no valid identifier": 1},
		Phone:      KindStats{Accepted: 2, Rejected: 2, RejectedBy: map[string]int64{"not a possible number": 2}, Matched: 2},
		Email: KindStats{Accepted: 5, Rejected: 3, Matched: 4,
			RejectedBy: map[string]int64{"not an email": 2, "bad email domain": 1}},
	}
	if !reflect.DeepEqual(res.Stats, want) {
		t.Errorf("stats\n%+v\nwant\n%+v", res.Stats, want)
	}
	l, err := BuildList(context.Background(), slices.Values(list), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lres := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
		return l.Match(context.Background(), slices.Values(base), nil, y, nil)
	})
	lres.Rejects = res.Rejects
	if !reflect.DeepEqual(lres, res) {
		t.Errorf("List.Match\n%+v\nBase.Match\n%+v", lres, res)
	}
}

func rejectStrings(rs []Reject) []string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Error())
	}
	return s
}

// optIn is the opt-in policy as a Consent: everyone not opted in is
// excluded.
type optIn map[string]bool

func (o optIn) Excludes(id string) bool { return !o[id] }

// keyData is a multi-key data set of the generator as matcher rows.
func keyData(seed uint64, users, rows int) (base []User, list []Entry, optOuts []string, cfg synth.Config) {
	cfg = synth.Config{Seed: seed, Users: users, ListRows: rows, MatchRate: 0.6, BadRate: 0.03, OptOutRate: 0.1,
		Keys: &synth.Keys{EmailRate: 0.7, SplitRate: 0.2, Phones: 3, Emails: 3, BadEmailRate: 0.05, EmptyRate: 0.3}}
	i := 0
	for u := range synth.KeyUsers(cfg) {
		i++
		base = append(base, User{Line: int64(i + 1), ID: u.ID, Phone: u.Phone, Email: u.Email, Region: u.Country})
	}
	j := 0
	for r := range synth.KeyList(cfg) {
		j++
		e := Entry{Line: int64(j + 1), Region: r.Country}
		for c, p := range r.Phones[:3] {
			e.Keys = append(e.Keys, phoneKey(column("phone", c), p))
		}
		for c, m := range r.Emails[:3] {
			e.Keys = append(e.Keys, emailKey(column("email", c), m))
		}
		list = append(list, e)
	}
	optOuts = slices.Collect(synth.OptOuts(cfg))
	return base, list, optOuts, cfg
}

func column(kind string, c int) string {
	if c == 0 {
		return kind
	}
	return fmt.Sprintf("%s%d", kind, c+1)
}

// only returns list with each row's identifiers cut to the columns keep
// says: the single-key lists whose union the multi-key list is.
func only(list []Entry, keep func(col string) bool) []Entry {
	out := make([]Entry, len(list))
	for i, e := range list {
		out[i] = e
		out[i].Keys = nil
		for _, k := range e.Keys {
			if keep(k.Column) {
				out[i].Keys = append(out[i].Keys, k)
			}
		}
	}
	return out
}

// hashKeys returns list with every identifier hashed as o says, as an
// advertiser uploads it; an identifier that does not normalize is sent as
// a value that does not decode.
func hashKeys(list []Entry, o *Options) []Entry {
	oo, _ := o.withDefaults()
	out := make([]Entry, len(list))
	for i, e := range list {
		out[i] = e
		out[i].Keys = make([]Key, len(e.Keys))
		for j, k := range e.Keys {
			h := k
			h.Hashed = true
			f := oo.Format
			var s []byte
			var err error
			if k.Kind == normalize.KindEmail {
				f = oo.EmailFormat
				s, err = normalize.AppendEmail(nil, k.Value, f)
			} else {
				s, err = normalize.AppendE164(nil, k.Value, e.Region)
			}
			if blank(k.Value) {
				h.Value = ""
			} else if err != nil {
				h.Value = "zz" + k.Value
			} else {
				h.Value = normalize.Encode(normalize.Sum(s, f), f)
			}
			out[i].Keys[j] = h
		}
	}
	return out
}

// joinKeys is the plain map join: every digest of the base, in o's
// families, to its users; the audience of list is the users of its
// identifiers' digests that consent allows.
func joinKeys(base []User, list []Entry, o *Options, consent Consent) map[string]bool {
	oo, _ := o.withDefaults()
	holders := map[[32]byte][]string{}
	for _, u := range base {
		if u.ID == "" {
			continue
		}
		if e, err := normalize.E164(u.Phone, cmpStr(u.Region, oo.Region)); err == nil {
			d := normalize.Sum([]byte(e), oo.Format.Family())
			holders[d] = append(holders[d], u.ID)
		}
		if e, err := normalize.Email(u.Email, oo.EmailFormat); err == nil && !blank(u.Email) {
			d := normalize.Sum([]byte(e), oo.EmailFormat)
			holders[d] = append(holders[d], u.ID)
		}
	}
	aud := map[string]bool{}
	for _, e := range list {
		for _, k := range e.Keys {
			var d [32]byte
			var err error
			switch {
			case k.Hashed && k.Kind == normalize.KindEmail:
				d, err = normalize.Decode(k.Value, oo.EmailFormat)
			case k.Hashed:
				d, err = normalize.Decode(k.Value, oo.Format)
			case k.Kind == normalize.KindEmail:
				var s string
				if s, err = normalize.Email(k.Value, oo.EmailFormat); err == nil {
					d = normalize.Sum([]byte(s), oo.EmailFormat)
				}
			default:
				var s string
				if s, err = normalize.E164(k.Value, cmpStr(e.Region, oo.Region)); err == nil {
					d = normalize.Sum([]byte(s), oo.Format.Family())
				}
			}
			if err != nil {
				continue
			}
			for _, id := range holders[d] {
				if consent == nil || !consent.Excludes(id) {
					aud[id] = true
				}
			}
		}
	}
	return aud
}

func cmpStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestMatch_MultiKeyUnion is the property of several identifiers a row:
// a multi-key list's audience is the union of the audiences of its
// single-key lists (each column alone), and the plain map join's, under
// no consent, opt-outs and the opt-in policy, for raw and hashed lists in
// each format family, through Base, List and Index (keyed or not), which
// agree with each other on every user, line and figure.
func TestMatch_MultiKeyUnion(t *testing.T) {
	ctx := context.Background()
	base, raw, optOutIDs, _ := keyData(11, 1500, 1200)
	optOuts := NewExclusions(slices.Values(optOutIDs))
	in := optIn{}
	for i, u := range base {
		if i%3 != 0 {
			in[u.ID] = true
		}
	}
	consents := []struct {
		name string
		c    Consent
	}{{"none", nil}, {"optouts", optOuts}, {"optin", in}}
	columns := []string{"phone", "phone2", "phone3", "email", "email2", "email3"}
	ix, err := OpenIndex(writeIndex(t, base, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	key := bytes.Repeat([]byte("k"), MinKeyLen)
	kix, err := OpenKeyedIndex(writeIndex(t, base, &Options{Key: key}), key)
	if err != nil {
		t.Fatal(err)
	}
	defer kix.Close()
	for _, f := range []normalize.Format{normalize.E164Hex, normalize.Digits, normalize.UID2} {
		o := &Options{Format: f}
		b, err := BuildBase(ctx, slices.Values(base), o, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, hashedList := range []bool{false, true} {
			list := raw
			if hashedList {
				list = hashKeys(raw, o)
			}
			for _, cs := range consents {
				t.Run(fmt.Sprintf("%v/hashed=%v/%s", f, hashedList, cs.name), func(t *testing.T) {
					multi := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
						return b.Match(ctx, slices.Values(list), cs.c, y, r)
					})
					l, err := BuildList(ctx, slices.Values(list), o, nil)
					if err != nil {
						t.Fatal(err)
					}
					viaList := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
						return l.Match(ctx, slices.Values(base), cs.c, y, nil)
					})
					viaList.Rejects = multi.Rejects
					if !reflect.DeepEqual(viaList, multi) {
						t.Fatalf("List.Match differs from Base.Match:\n%+v\n%+v", viaList.Stats, multi.Stats)
					}
					union := map[string]bool{}
					for _, col := range columns {
						single := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
							return b.Match(ctx, slices.Values(only(list, func(c string) bool { return c == col })), cs.c, y, r)
						})
						for _, id := range single.IDs {
							union[id] = true
						}
					}
					got := map[string]bool{}
					for _, id := range multi.IDs {
						if got[id] {
							t.Fatalf("user %s yielded twice", id)
						}
						got[id] = true
					}
					if !sameSet(got, union) {
						t.Errorf("audience of %d users; union of the single-key audiences %d", len(got), len(union))
					}
					if join := joinKeys(base, list, o, cs.c); !sameSet(got, join) {
						t.Errorf("audience of %d users; the map join's %d", len(got), len(join))
					}
					for name, ix := range map[string]*Index{"index": ix, "keyed index": kix} {
						fromIndex := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
							return ix.Match(ctx, slices.Values(list), o, cs.c, y, r)
						})
						if !reflect.DeepEqual(fromIndex, multi) {
							t.Errorf("%s: Index.Match differs from Base.Match:\n%+v\n%+v", name, fromIndex.Stats, multi.Stats)
						}
					}
					if len(got) == 0 || multi.Stats.Email.Matched == 0 || multi.Stats.Phone.Matched == 0 {
						t.Errorf("a test that tests nothing: %+v", multi.Stats)
					}
				})
			}
		}
	}
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// TestStats_Count: a list's rows counted one by one with Digester.Entry
// and Stats.Count give Match's figures of the list, rule for rule (rows
// accepted and refused by reason, and each kind's), for raw and hashed
// rows and in both email formats; only the figures of matching differ.
func TestStats_Count(t *testing.T) {
	ctx := context.Background()
	base, raw, _, _ := keyData(5, 800, 900)
	// Rows the caller refused, and rows with none of their identifiers
	// present, besides the generator's junk.
	raw = append(raw, Entry{Line: 9001, Err: ErrEmptyUserID}, Entry{Line: 9002}, Entry{Line: 9003, Phone: " "},
		Entry{Line: 9004, Keys: []Key{phoneKey("phone", ""), emailKey("email", "x@y")}})
	for _, email := range []normalize.Format{normalize.EmailHex, normalize.EmailUID2} {
		o := &Options{Format: normalize.E164Hex, EmailFormat: email}
		b, err := BuildBase(ctx, slices.Values(base), o, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, hashed := range []bool{false, true} {
			list := raw
			if hashed {
				list = hashKeys(raw, o)
			}
			t.Run(fmt.Sprintf("%v/hashed=%v", email, hashed), func(t *testing.T) {
				want, err := b.Match(ctx, slices.Values(list), nil, func(Match) error { return nil }, nil)
				if err != nil {
					t.Fatal(err)
				}
				d, err := NewDigester(o)
				if err != nil {
					t.Fatal(err)
				}
				var got Stats
				var ks []KeyDigest
				for _, e := range list {
					var rowErr error
					ks, rowErr = d.Entry(&e, ks[:0])
					got.Count(ks, rowErr)
				}
				if want.Rejected == 0 || want.Email.Rejected == 0 || want.Phone.Rejected == 0 {
					t.Fatalf("the list refuses too little to test: %+v", want)
				}
				want.Matched, want.Unmatched, want.Audience, want.Phone.Matched, want.Email.Matched = 0, 0, 0, 0, 0
				if !reflect.DeepEqual(got, want) {
					t.Errorf("Count: got %+v\nMatch gave %+v", got, want)
				}
			})
		}
	}
}
