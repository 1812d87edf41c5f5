// Package idcols reads the identifier columns of user base and contact
// list headers: which columns hold phones and emails, raw or hashed, and
// how a row's fields become a matcher.User or matcher.Entry. It is the one
// place these names are written; the CLI and the Beam pipeline both read
// headers with it.
//
// # List columns
//
// Names are compared after csvrow.Header lower-cases and trims them:
//
//	raw phones     phone, phone2, phone3
//	raw emails     email, email2, email3
//	hashed phones  phone_hash, phone2_hash, phone3_hash, phone_sha256, hash
//	hashed emails  email_hash, email2_hash, email3_hash, email_sha256
//	region         country (ISO 3166-1 alpha-2, of the row's raw phones)
//
// "phone" and "email" may repeat, as in Meta's customer-list template
// (email,email,email,phone,phone,phone,…,country,…) and Google Customer
// Match's (Email,Phone,…,Country,…, with Email and Phone repeated for more
// of each); so a file prepared for either platform's upload is read as it
// is, and their other columns (names, zip, madid, …) are ignored. A row
// has at most three phone and three email columns in all.
//
// Hashed columns hold digests only: phones in the run's phone format,
// emails in its email format. A raw column may hold digests too, as the
// platforms' templates do once hashed: a value that is exactly a digest's
// encoding in the column's format (64 hex digits, or 44 characters of
// padded base64 for UID2's formats) is read as that digest. No raw phone
// or address has that shape (an address has an "@"; a phone has at most 17
// digits and no "="), so this never misreads one.
//
// Reject reasons name a row's identifiers by kind and position among the
// header's columns of that kind, raw or hashed: phone, phone2, phone3,
// email, email2, email3.
//
// # User columns
//
// user_id, and phone or email or both, and country (of the phone).
package idcols

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
)

// MaxPerKind is the most phone columns, and the most email columns, of a
// list.
const MaxPerKind = 3

// ErrTooMany is returned for a list header with more than MaxPerKind
// columns of one kind.
var ErrTooMany = errors.New("too many identifier columns")

// ErrBothPhoneAndHash is returned for a list header with both "phone" and
// the legacy "hash": a list is either raw or hashed there, as it always
// was; "phone_hash" may stand beside "phone".
var ErrBothPhoneAndHash = errors.New(`has both a "phone" and a "hash" column; keep one`)

// Repeatable reports whether a column name may appear more than once in a
// header: "phone" and "email", as the platforms' templates repeat them.
// It is csvrow.Reader.Repeatable for lists.
func Repeatable(name string) bool { return name == "phone" || name == "email" }

// Column is an identifier column of a list.
type Column struct {
	Index  int            // its position in the header
	Kind   normalize.Kind // phone or email
	Hashed bool           // it holds digests only
	Label  string         // phone, phone2, …, email, email2, …: its name in reject reasons
}

// List is the layout of a contact list's header.
type List struct {
	Columns []Column // in header order
	Country int      // the country column, -1 if none
	// Legacy: the list is one "phone" column (Phone) or one "hash"
	// column (Hash), each -1 otherwise; its rows fill Entry.Phone or
	// Entry.Hash, as they always did, and need no Keys.
	Phone, Hash int
	slab        []matcher.Key
}

var listNames = func() map[string]Column {
	m := map[string]Column{"hash": {Kind: normalize.KindPhone, Hashed: true},
		"phone_sha256": {Kind: normalize.KindPhone, Hashed: true}, "email_sha256": {Kind: normalize.KindEmail, Hashed: true}}
	for _, k := range []normalize.Kind{normalize.KindPhone, normalize.KindEmail} {
		for i := 1; i <= MaxPerKind; i++ {
			name := k.String()
			if i > 1 {
				name += strconv.Itoa(i)
			}
			m[name] = Column{Kind: k}
			m[name+"_hash"] = Column{Kind: k, Hashed: true}
		}
	}
	return m
}()

// ParseList returns the layout of a list header. A header without any
// identifier column gives ok false and a nil error, for the caller to
// word as a missing column; too many columns of a kind (ErrTooMany) and
// "phone" beside "hash" (ErrBothPhoneAndHash) are errors.
func ParseList(header []string) (l *List, ok bool, err error) {
	l = &List{Country: -1, Phone: -1, Hash: -1}
	var n [2]int
	names := map[string]int{}
	for i, h := range header {
		c, known := listNames[h]
		switch {
		case h == "country":
			if l.Country < 0 {
				l.Country = i
			}
			continue
		case !known:
			continue
		}
		n[c.Kind]++
		if n[c.Kind] > MaxPerKind {
			return nil, false, fmt.Errorf("%w: more than %d %s columns", ErrTooMany, MaxPerKind, c.Kind)
		}
		c.Index = i
		c.Label = c.Kind.String()
		if n[c.Kind] > 1 {
			c.Label += strconv.Itoa(n[c.Kind])
		}
		l.Columns = append(l.Columns, c)
		names[h] = i
	}
	if len(l.Columns) == 0 {
		return nil, false, nil
	}
	_, phone := names["phone"]
	_, hash := names["hash"]
	if phone && hash {
		return nil, false, ErrBothPhoneAndHash
	}
	if len(l.Columns) == 1 {
		switch {
		case phone:
			l.Phone = l.Columns[0].Index
		case hash:
			l.Hash = l.Columns[0].Index
		}
	}
	return l, true, nil
}

// Hashed reports whether every identifier column of l is hashed.
func (l *List) Hashed() bool {
	for _, c := range l.Columns {
		if !c.Hashed {
			return false
		}
	}
	return true
}

// Kind returns the list's kind for the advertiser's report: "phone" for a
// lone raw phone column, "hash" for a lone hashed phone column, "keys"
// for anything else.
func (l *List) Kind() string {
	switch {
	case len(l.Columns) == 1 && l.Columns[0].Kind == normalize.KindPhone && l.Columns[0].Hashed:
		return "hash"
	case len(l.Columns) == 1 && l.Columns[0].Kind == normalize.KindPhone:
		return "phone"
	}
	return "keys"
}

// HashFormats returns, for the advertiser's report, the name of the
// phone digests' format phone for a list that may hold them ("" for a
// list of one raw phone column, as it always was), and of the email
// digests' format email for a list with email columns ("" for none).
func (l *List) HashFormats(phone, email normalize.Format) (phoneName, emailName string) {
	if l.Kind() != "phone" && l.Has(normalize.KindPhone) {
		phoneName = phone.String()
	}
	if l.Has(normalize.KindEmail) {
		emailName = email.String()
	}
	return phoneName, emailName
}

// Has reports whether l has a column of kind k.
func (l *List) Has(k normalize.Kind) bool {
	for _, c := range l.Columns {
		if c.Kind == k {
			return true
		}
	}
	return false
}

// Entry fills e's identifiers from a row's fields (e.Line, e.Err and
// e.Region, from the Country column, are the caller's): phones hashed in
// phone, emails in email. str turns a field into a string that e may
// keep. Keys come from a slab, not an allocation a row. Not safe for
// concurrent use.
func (l *List) Entry(e *matcher.Entry, fields [][]byte, str func([]byte) string, phone, email normalize.Format) {
	switch {
	case l.Hash >= 0:
		e.Hash = str(trim(fields[l.Hash]))
		return
	case l.Phone >= 0:
		if v := trim(fields[l.Phone]); isDigest(v, phone) {
			e.Hash = str(v)
		} else {
			e.Phone = str(fields[l.Phone])
		}
		return
	}
	if len(l.slab) < len(l.Columns) {
		l.slab = make([]matcher.Key, 0, 1024*len(l.Columns))
	}
	e.Keys = l.Keys(l.slab[:0:len(l.Columns)], fields, str, phone, email)
	l.slab = l.slab[len(l.Columns):cap(l.slab)]
}

// Keys appends to dst a Key for each identifier column of a row's fields,
// in header order, phones' digests in phone and emails' in email, and
// returns the extended slice. It is safe for concurrent use.
func (l *List) Keys(dst []matcher.Key, fields [][]byte, str func([]byte) string, phone, email normalize.Format) []matcher.Key {
	for _, c := range l.Columns {
		f := phone
		if c.Kind == normalize.KindEmail {
			f = email
		}
		k := matcher.Key{Kind: c.Kind, Column: c.Label, Hashed: c.Hashed}
		raw := fields[c.Index]
		if v := trim(raw); c.Hashed || isDigest(v, f) {
			k.Hashed, k.Value = true, str(v)
		} else {
			k.Value = str(raw)
		}
		dst = append(dst, k)
	}
	return dst
}

// isDigest reports whether v is exactly a digest's encoding in f.
func isDigest(v []byte, f normalize.Format) bool {
	if len(v) != normalize.HexLen && len(v) != normalize.Base64Len {
		return false
	}
	_, err := normalize.Decode(string(v), f)
	return err == nil
}

// trim returns b without surrounding spaces and tabs.
func trim(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// Users is the layout of a user base's header.
type Users struct {
	ID, Phone, Email, Country int // -1 if absent; ID and one of Phone and Email are present
}

// ParseUsers returns the layout of a user base header; missing names the
// columns wanted when user_id, or both phone and email, are absent.
func ParseUsers(header []string) (u Users, missing []string) {
	u = Users{ID: -1, Phone: -1, Email: -1, Country: -1}
	for i, h := range header {
		switch h {
		case "user_id":
			u.ID = first(u.ID, i)
		case "phone":
			u.Phone = first(u.Phone, i)
		case "email":
			u.Email = first(u.Email, i)
		case "country":
			u.Country = first(u.Country, i)
		}
	}
	switch {
	case u.ID < 0:
		return u, []string{"user_id"}
	case u.Phone < 0 && u.Email < 0:
		return u, []string{"phone", "email"}
	}
	return u, nil
}

func first(cur, i int) int {
	if cur >= 0 {
		return cur
	}
	return i
}
