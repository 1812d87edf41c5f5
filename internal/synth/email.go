package synth

// Multi-key data sets: users with emails, and list rows with several
// phones and emails, as Meta's and Google's customer-list uploads carry
// them. Config.Keys turns them on; KeyUsers, KeyList, WriteKeyUsers and
// WriteKeyList generate them. Users, List, WriteUsers and WriteList do not
// change: a multi-key list's first phone column is exactly List's phone.
//
// Emails keep the ground truth the phones keep: a user's address has an
// even number in its local part ("jane.doe482@gmail.com"), every other
// valid address on a list an odd one, so an address not drawn from a user
// matches no user, under either email format.

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"strconv"
)

// streamKeys draws the extra cells of list row j; streamEmail user i's
// address.
const (
	streamKeys  = 6
	streamEmail = 7
)

// MaxKeyColumns is the most phone columns, and the most email columns, of
// a multi-key list row.
const MaxKeyColumns = 3

// Keys configures a multi-key data set (Config.Keys). Every field's zero
// value is documented; the zero Keys gives users without emails and list
// rows of one phone and no email, in the multi-key files' layout.
type Keys struct {
	// EmailRate is the share of users with an email address, in [0, 1].
	EmailRate float64

	// SplitRate is the share of users with an address whose address is on
	// a second row of their own (user_id, no phone, the address), in
	// [0, 1]: user bases hold several rows per user. Zero: one row each.
	SplitRate float64

	// Phones is the number of phone columns of a list row, 0..3; zero
	// means 1. The first is List's phone; the others are phones of no user
	// (a customer's other numbers), in international formats.
	Phones int

	// Emails is the number of email columns of a list row, 0..3. The
	// first of a row drawn from user i is user i's address, when it has
	// one, written as people write it (upper case, blanks around, gmail.com
	// dots and "+tags" added or dropped); the others are addresses of no
	// user.
	Emails int

	// BadEmailRate is the share of email cells that are junk no email
	// normalizer accepts ("n/a", "jane.doe", "jane@", "a@b@c.com", …), in
	// [0, 1].
	BadEmailRate float64

	// EmptyRate is the share of cells other than the first phone and the
	// first email that are empty, in [0, 1].
	EmptyRate float64
}

// KeyUser is one row of a multi-key user base: a phone, an address or
// both.
type KeyUser struct {
	ID      string
	Phone   string // "" on a user's second row, which holds only the address
	Email   string // "" for a user without an address, and on a split user's first row
	Country string // the phone's region; "" on a second row
}

// KeyRow is one row of a multi-key contact list.
type KeyRow struct {
	Phones  [MaxKeyColumns]string // Keys.Phones of them are used
	Emails  [MaxKeyColumns]string // Keys.Emails of them are used
	Country string                // the first phone's dialling region, as List's
}

func (k *Keys) validate() error {
	rate := func(name string, v float64) error {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("%w: Keys.%s = %v, want 0..1", ErrConfig, name, v)
		}
		return nil
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"EmailRate", k.EmailRate}, {"SplitRate", k.SplitRate}, {"BadEmailRate", k.BadEmailRate}, {"EmptyRate", k.EmptyRate}} {
		if err := rate(r.name, r.v); err != nil {
			return err
		}
	}
	switch {
	case k.Phones < 0 || k.Phones > MaxKeyColumns:
		return fmt.Errorf("%w: Keys.Phones = %d, want 0..%d", ErrConfig, k.Phones, MaxKeyColumns)
	case k.Emails < 0 || k.Emails > MaxKeyColumns:
		return fmt.Errorf("%w: Keys.Emails = %d, want 0..%d", ErrConfig, k.Emails, MaxKeyColumns)
	}
	return nil
}

// keys returns cfg.Keys, or the zero Keys.
func (g *gen) keys() *Keys {
	if g.cfg.Keys != nil {
		return g.cfg.Keys
	}
	return &Keys{}
}

// phoneColumns returns the number of phone columns, at least 1.
func (k *Keys) phoneColumns() int { return max(k.Phones, 1) }

// KeyUsers returns the multi-key user base of cfg: user i's row (the
// phone of Users' row i, and its address unless split), then, for a split
// user, its address row. If cfg is invalid the sequence is empty.
func KeyUsers(cfg Config) iter.Seq[KeyUser] {
	return func(yield func(KeyUser) bool) {
		g, err := resolve(cfg)
		if err != nil {
			return
		}
		var ur userRow
		var er emailRow
		for i := range cfg.Users {
			g.user(i, &ur)
			has, split := g.userEmail(i, &er)
			u := KeyUser{ID: string(ur.id[:]), Phone: string(ur.phone), Country: ur.country}
			if has && !split {
				u.Email = string(er.stored)
			}
			if !yield(u) {
				return
			}
			if split && !yield(KeyUser{ID: u.ID, Email: string(er.stored)}) {
				return
			}
		}
	}
}

// KeyList returns the multi-key contact list of cfg, cfg.ListRows rows.
// Row j's first phone and country are List's row j. If cfg is invalid the
// sequence is empty.
func KeyList(cfg Config) iter.Seq[KeyRow] {
	return func(yield func(KeyRow) bool) {
		g, err := resolve(cfg)
		if err != nil {
			return
		}
		var kr keyRow
		for j := range cfg.ListRows {
			g.keyRow(j, &kr)
			var r KeyRow
			r.Country = kr.lr.country
			for c := range kr.phones {
				r.Phones[c] = string(kr.phones[c])
			}
			for c := range kr.emails {
				r.Emails[c] = string(kr.emails[c])
			}
			if !yield(r) {
				return
			}
		}
	}
}

// emailRow is the scratch space of one drawn address.
type emailRow struct {
	pcg    rand.PCG
	rng    *rand.Rand
	stored []byte // as the platform stores it
	gmail  bool
}

// keyRow is the scratch space of one multi-key list row.
type keyRow struct {
	lr     listRow
	pcg    rand.PCG
	rng    *rand.Rand
	er     emailRow
	p      phone
	phones [][]byte // Keys.phoneColumns() cells
	emails [][]byte // Keys.Emails cells
}

// Address parts: common first and last names and mail domains, gmail.com
// the most common of them, as in consumer lists.
var (
	firstNames = [...]string{"jane", "john", "maria", "wei", "peter", "anna", "ahmed", "sofia", "lucas", "yuki", "fatima", "ivan", "olga", "carlos", "emma", "noah"}
	lastNames  = [...]string{"doe", "smith", "garcia", "li", "parker", "mueller", "khan", "rossi", "silva", "tanaka", "haddad", "petrov", "novak", "lopez", "brown", "kim"}
	domains    = [...]struct {
		name   string
		weight int
	}{{"gmail.com", 40}, {"yahoo.com", 12}, {"hotmail.com", 10}, {"outlook.com", 8}, {"icloud.com", 6}, {"web.de", 4}, {"example.co.uk", 5}, {"mail.example.org", 5}, {"googlemail.com", 2}, {"example.com", 8}}
	domainTotal = func() int {
		s := 0
		for _, d := range domains {
			s += d.weight
		}
		return s
	}()
	localSeps = [...]string{".", "", "_", "-"}
	badEmails = [...]string{"n/a", "none", "jane.doe", "jane@", "@example.com", "a@b@example.com", "jane doe@example.com", "jane@localhost", "jane@example..com", "jane@.example.com", "unknown@", "-", "+16505551234"}
)

// appendAddress appends an address with the number n in its local part.
func appendAddress(dst []byte, rng *rand.Rand, n uint64) (out []byte, gmail bool) {
	dst = append(dst, firstNames[rng.IntN(len(firstNames))]...)
	dst = append(dst, localSeps[rng.IntN(len(localSeps))]...)
	dst = append(dst, lastNames[rng.IntN(len(lastNames))]...)
	dst = strconv.AppendUint(dst, n, 10)
	dst = append(dst, '@')
	w := rng.IntN(domainTotal)
	for _, d := range domains {
		if w < d.weight {
			return append(dst, d.name...), d.name == "gmail.com"
		}
		w -= d.weight
	}
	panic("unreachable")
}

// storedMixedShare is the share of user addresses stored as typed, with
// upper case; the rest are stored lower case.
const storedMixedShare = 0.1

// userEmail draws user i's address into er: has is false for a user
// without one; split is true for one whose address is on a row of its own.
// The number in the address is twice the user's id number: unique, even.
func (g *gen) userEmail(i int, er *emailRow) (has, split bool) {
	k := g.keys()
	if er.rng == nil {
		er.rng = rand.New(&er.pcg)
	}
	er.pcg.Seed(rowSeed(g.cfg.Seed, streamEmail, uint64(i)))
	rng := er.rng
	if rng.Float64() >= k.EmailRate {
		return false, false
	}
	split = rng.Float64() < k.SplitRate
	var id [10]byte
	g.userID(i, &id)
	v, _ := strconv.ParseUint(string(id[1:]), 10, 64)
	er.stored, er.gmail = appendAddress(er.stored[:0], rng, 2*v)
	if rng.Float64() < storedMixedShare {
		capitalize(er.stored)
	}
	return true, split
}

// keyRow fills kr with multi-key row j.
func (g *gen) keyRow(j int, kr *keyRow) {
	k := g.keys()
	g.listRow(j, &kr.lr)
	if kr.rng == nil {
		kr.rng = rand.New(&kr.pcg)
	}
	kr.pcg.Seed(rowSeed(g.cfg.Seed, streamKeys, uint64(j)))
	rng := kr.rng
	kr.phones = grow(kr.phones, k.phoneColumns())
	kr.emails = grow(kr.emails, k.Emails)
	kr.phones[0] = append(kr.phones[0][:0], kr.lr.phone...)
	junk := kr.lr.kind == rowJunk
	for c := 1; c < len(kr.phones); c++ {
		out := kr.phones[c][:0]
		switch {
		case rng.Float64() < k.EmptyRate:
		case junk:
			out = append(out, junkWords[rng.IntN(len(junkWords))]...)
		default:
			g.draw(rng, parityNonMember, &kr.p)
			if rng.IntN(2) == 0 {
				out = kr.p.appendE164(out)
			} else {
				out = kr.p.appendIntl(out)
			}
		}
		kr.phones[c] = out
	}
	for c := range kr.emails {
		out := kr.emails[c][:0]
		switch {
		case c > 0 && rng.Float64() < k.EmptyRate:
		case junk || rng.Float64() < k.BadEmailRate:
			out = append(out, badEmails[rng.IntN(len(badEmails))]...)
		case c == 0 && kr.lr.kind == rowMember:
			if has, _ := g.userEmail(kr.lr.member, &kr.er); has {
				out = appendAsWritten(out, rng, kr.er.stored, kr.er.gmail)
				break
			}
			fallthrough
		default:
			var gmail bool
			kr.er.stored, gmail = appendAddress(kr.er.stored[:0], rng, 2*rng.Uint64N(MaxUsers)+1)
			out = appendAsWritten(out, rng, kr.er.stored, gmail)
		}
		kr.emails[c] = out
	}
}

// appendAsWritten appends addr as a person or a CRM writes it: as it is
// (55%), capitalized (15%), all upper case (10%), with blanks around
// (10%), or, at gmail.com (10%), with its dots dropped or a "+tag" added.
func appendAsWritten(dst []byte, rng *rand.Rand, addr []byte, gmail bool) []byte {
	n := len(dst)
	x := rng.IntN(100)
	switch {
	case x < 55:
		return append(dst, addr...)
	case x < 70:
		dst = append(dst, addr...)
		capitalize(dst[n:])
	case x < 80:
		dst = append(dst, addr...)
		for i := n; i < len(dst); i++ {
			if 'a' <= dst[i] && dst[i] <= 'z' {
				dst[i] -= 'a' - 'A'
			}
		}
	case x < 90 || !gmail:
		dst = append(dst, ' ')
		dst = append(dst, addr...)
		dst = append(dst, "  "[:1+rng.IntN(2)]...)
	default:
		at := 0
		for at < len(addr) && addr[at] != '@' {
			at++
		}
		if rng.IntN(2) == 0 {
			for _, c := range addr[:at] {
				if c != '.' {
					dst = append(dst, c)
				}
			}
		} else {
			dst = append(dst, addr[:at]...)
			dst = append(dst, tags[rng.IntN(len(tags))]...)
		}
		dst = append(dst, addr[at:]...)
	}
	return dst
}

var tags = [...]string{"+news", "+shop", "+promo", "+2024"}

// capitalize upper-cases the first letter of each part of an address
// ("jane.doe@gmail.com" gives "Jane.Doe@Gmail.com").
func capitalize(b []byte) {
	start := true
	for i, c := range b {
		if start && 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
		start = c == '.' || c == '@' || c == '_' || c == '-'
	}
}

func grow(cells [][]byte, n int) [][]byte {
	for len(cells) < n {
		cells = append(cells, nil)
	}
	return cells[:n]
}

// KeyUsersHeader is the header WriteKeyUsers writes.
const KeyUsersHeader = "user_id,phone,email,country"

// KeyListHeader returns the header WriteKeyList writes for k: phone,
// phone2, …, email, email2, …, country.
func KeyListHeader(k Keys) string {
	h := ""
	for c := range k.phoneColumns() {
		h += columnName("phone", c) + ","
	}
	for c := range k.Emails {
		h += columnName("email", c) + ","
	}
	return h + "country"
}

func columnName(kind string, c int) string {
	if c == 0 {
		return kind
	}
	return kind + strconv.Itoa(c+1)
}

// WriteKeyUsers writes KeyUsers(cfg) to w as CSV with the header
// KeyUsersHeader. Errors are as for WriteUsers.
func WriteKeyUsers(w io.Writer, cfg Config) error {
	g, err := resolve(cfg)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, writeBufSize)
	bw.WriteString(KeyUsersHeader + "\n")
	var ur userRow
	var er emailRow
	var line []byte
	for i := range cfg.Users {
		g.user(i, &ur)
		has, split := g.userEmail(i, &er)
		line = append(line[:0], ur.id[:]...)
		line = append(line, ',')
		line = appendField(line, ur.phone)
		line = append(line, ',')
		if has && !split {
			line = appendField(line, er.stored)
		}
		line = append(line, ',')
		line = append(line, ur.country...)
		line = append(line, '\n')
		if split {
			line = append(line, ur.id[:]...)
			line = append(line, ',', ',')
			line = appendField(line, er.stored)
			line = append(line, ',', '\n')
		}
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("synth: writing users: %w", err)
		}
	}
	return flush(bw, "users")
}

// WriteKeyList writes KeyList(cfg) to w as CSV with the header
// KeyListHeader(*cfg.Keys). Errors are as for WriteUsers.
func WriteKeyList(w io.Writer, cfg Config) error {
	g, err := resolve(cfg)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, writeBufSize)
	bw.WriteString(KeyListHeader(*g.keys()) + "\n")
	var kr keyRow
	var line []byte
	for j := range cfg.ListRows {
		g.keyRow(j, &kr)
		line = line[:0]
		for _, c := range kr.phones {
			line = appendField(line, c)
			line = append(line, ',')
		}
		for _, c := range kr.emails {
			line = appendField(line, c)
			line = append(line, ',')
		}
		line = append(line, kr.lr.country...)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("synth: writing list: %w", err)
		}
	}
	return flush(bw, "list")
}
