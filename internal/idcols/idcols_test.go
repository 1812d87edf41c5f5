package idcols

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
)

func TestParseList(t *testing.T) {
	tests := []struct {
		name    string
		header  string // as csvrow.Header gives it: lower case
		labels  string // the identifier columns' labels, kind and hashed
		kind    string
		country int
		err     error
		none    bool
	}{
		{name: "phone", header: "phone,country", labels: "phone", kind: "phone", country: 1},
		{name: "hash", header: "hash", labels: "phone#", kind: "hash", country: -1},
		{name: "keys", header: "phone,phone2,phone3,email,email2,email3,country", labels: "phone phone2 phone3 email email2 email3", kind: "keys", country: 6},
		{name: "hashed", header: "phone_hash,email_hash,email2_hash", labels: "phone# email# email2#", kind: "keys", country: -1},
		{name: "email_only", header: "email", labels: "email", kind: "keys", country: -1},
		{name: "meta", header: "email,email,email,phone,phone,phone,madid,fn,ln,zip,ct,st,country,dob,doby,gen,age,uid,value",
			labels: "email email2 email3 phone phone2 phone3", kind: "keys", country: 12},
		{name: "google", header: "email,phone,first name,last name,country,zip,email,phone",
			labels: "email phone email2 phone2", kind: "keys", country: 4},
		{name: "meta_api", header: "email_sha256,phone_sha256", labels: "email# phone#", kind: "keys", country: -1},
		{name: "phone_and_hash", header: "phone,hash", err: ErrBothPhoneAndHash},
		{name: "four_phones", header: "phone,phone2,phone3,phone_hash", err: ErrTooMany},
		{name: "none", header: "telephone,e-mail", none: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, ok, err := ParseList(strings.Split(tc.header, ","))
			if !errors.Is(err, tc.err) || ok == (tc.none || tc.err != nil) {
				t.Fatalf("ParseList(%q) = %v, %v; want error %v, found %v", tc.header, ok, err, tc.err, !tc.none)
			}
			if !ok {
				return
			}
			var labels []string
			for _, c := range l.Columns {
				lb := c.Label
				if c.Hashed {
					lb += "#"
				}
				labels = append(labels, lb)
			}
			if got := strings.Join(labels, " "); got != tc.labels || l.Kind() != tc.kind || l.Country != tc.country {
				t.Errorf("labels %q, kind %q, country %d; want %q, %q, %d", got, l.Kind(), l.Country, tc.labels, tc.kind, tc.country)
			}
		})
	}
}

// TestList_Keys: a raw column's value that is a digest in its column's
// format is read as a digest; anything else, raw.
func TestList_Keys(t *testing.T) {
	l, _, _ := ParseList([]string{"email", "phone", "email_hash"})
	hex := strings.Repeat("ab", 32)
	b64 := "tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ="
	str := func(b []byte) string { return string(b) }
	for _, tc := range []struct {
		name         string
		fields       []string
		phone, email normalize.Format
		hashed       []bool
		values       []string
	}{
		{"raw", []string{" Jane@x.com", "+1 650", ""}, normalize.E164Hex, normalize.EmailHex, []bool{false, false, true}, []string{" Jane@x.com", "+1 650", ""}},
		{"hex_in_raw", []string{" " + hex + " ", hex, hex}, normalize.Digits, normalize.EmailHex, []bool{true, true, true}, []string{hex, hex, hex}},
		{"b64_in_raw", []string{b64, b64, b64}, normalize.UID2, normalize.EmailUID2, []bool{true, true, true}, []string{b64, b64, b64}},
		{"hex_is_not_uid2", []string{hex, hex, hex}, normalize.UID2, normalize.EmailUID2, []bool{false, false, true}, []string{hex, hex, hex}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fields [][]byte
			for _, f := range tc.fields {
				fields = append(fields, []byte(f))
			}
			keys := l.Keys(nil, fields, str, tc.phone, tc.email)
			var hashed []bool
			var values []string
			for _, k := range keys {
				hashed, values = append(hashed, k.Hashed), append(values, k.Value)
			}
			if !slices.Equal(hashed, tc.hashed) || !slices.Equal(values, tc.values) {
				t.Errorf("hashed %v, values %q; want %v, %q", hashed, values, tc.hashed, tc.values)
			}
			if keys[0].Kind != normalize.KindEmail || keys[1].Kind != normalize.KindPhone || keys[2].Column != "email2" {
				t.Errorf("keys %+v", keys)
			}
		})
	}
	var e matcher.Entry
	one, _, _ := ParseList([]string{"phone"})
	one.Entry(&e, [][]byte{[]byte(hex)}, str, normalize.E164Hex, normalize.EmailHex)
	if e.Hash != hex || e.Phone != "" || e.Keys != nil {
		t.Errorf("a digest in a lone phone column: %+v", e)
	}
}

func TestParseUsers(t *testing.T) {
	for _, tc := range []struct {
		header  string
		missing []string
	}{
		{"user_id,phone", nil}, {"user_id,email", nil}, {"user_id,email,phone,country", nil},
		{"phone,email", []string{"user_id"}}, {"user_id,country", []string{"phone", "email"}},
	} {
		if _, missing := ParseUsers(strings.Split(tc.header, ",")); !slices.Equal(missing, tc.missing) {
			t.Errorf("ParseUsers(%q) missing %v; want %v", tc.header, missing, tc.missing)
		}
	}
}
