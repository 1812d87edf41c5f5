package synth

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/audiencematch/audiencematch/normalize"
)

func keyConfig() Config {
	return Config{Seed: 3, Users: 2000, ListRows: 3000, MatchRate: 0.5, BadRate: 0.02,
		Keys: &Keys{EmailRate: 0.7, SplitRate: 0.2, Phones: 3, Emails: 3, BadEmailRate: 0.03, EmptyRate: 0.3}}
}

// TestKeyList_FirstPhoneIsList checks that a multi-key list's first phone
// and country are List's, so single-key figures stay comparable.
func TestKeyList_FirstPhoneIsList(t *testing.T) {
	cfg := keyConfig()
	var want []ListRow
	for r := range List(cfg) {
		want = append(want, r)
	}
	j := 0
	for r := range KeyList(cfg) {
		if r.Phones[0] != want[j].Phone || r.Country != want[j].Country {
			t.Fatalf("row %d: first phone %q, %q; List gives %q, %q", j, r.Phones[0], r.Country, want[j].Phone, want[j].Country)
		}
		j++
	}
	if j != cfg.ListRows {
		t.Fatalf("%d rows; want %d", j, cfg.ListRows)
	}
}

// TestKeyList_Emails checks the ground truth of the addresses: a list
// address that normalizes to a user's (in either format) is drawn from a
// member row; every kind of address the issue asks for turns up; junk
// addresses are refused.
func TestKeyList_Emails(t *testing.T) {
	cfg := keyConfig()
	users := map[normalize.Format]map[string]bool{normalize.EmailHex: {}, normalize.EmailUID2: {}}
	rows, split := 0, 0
	seen := map[string]bool{}
	for u := range KeyUsers(cfg) {
		rows++
		if u.Phone == "" {
			split++
		}
		if seen[u.ID] && u.Phone != "" {
			t.Fatalf("user %s: a second row with a phone", u.ID)
		}
		seen[u.ID] = true
		if u.Email == "" {
			continue
		}
		for f, m := range users {
			e, err := normalize.Email(u.Email, f)
			if err != nil {
				t.Fatalf("user %s: address refused: %v", u.ID, err)
			}
			m[e] = true
		}
	}
	if split == 0 || rows != cfg.Users+split {
		t.Errorf("%d user rows, %d split; want %d plus some split rows", rows, split, cfg.Users)
	}
	var upper, blanks, gmailTag, bad, empty, matchHex, matchUID2 int
	for r := range KeyList(cfg) {
		for c, e := range r.Emails {
			switch {
			case e == "":
				empty++
				continue
			case strings.ContainsAny(e, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
				upper++
			case strings.TrimSpace(e) != e:
				blanks++
			case strings.Contains(e, "+") && strings.HasSuffix(e, "@gmail.com"):
				gmailTag++
			}
			hexForm, err := normalize.Email(e, normalize.EmailHex)
			if err != nil {
				bad++
				continue
			}
			uid2Form, err := normalize.Email(e, normalize.EmailUID2)
			if err != nil {
				t.Fatalf("%q: EmailHex accepts it, EmailUID2 refuses: %v", e, err)
			}
			if users[normalize.EmailHex][hexForm] {
				matchHex++
			}
			if users[normalize.EmailUID2][uid2Form] {
				matchUID2++
				if c != 0 {
					t.Errorf("email%d %q matches a user: only the first column may", c+1, e)
				}
			}
		}
	}
	t.Logf("upper %d, blanks %d, gmail tags %d, bad %d, empty %d, matching (email) %d, (email-uid2) %d", upper, blanks, gmailTag, bad, empty, matchHex, matchUID2)
	for name, n := range map[string]int{"upper": upper, "blanks": blanks, "gmail tags": gmailTag, "bad": bad, "empty": empty, "matching": matchHex} {
		if n == 0 {
			t.Errorf("no %s address in %d rows", name, cfg.ListRows)
		}
	}
	if matchUID2 <= matchHex {
		t.Errorf("email-uid2 matches %d, email %d: want more under UID2's gmail rule", matchUID2, matchHex)
	}
}

func TestWriteKeyFiles(t *testing.T) {
	cfg := keyConfig()
	var a, b bytes.Buffer
	if err := WriteKeyList(&a, cfg); err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyList(&b, cfg); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("WriteKeyList is not deterministic")
	}
	first, _, _ := strings.Cut(a.String(), "\n")
	if want := "phone,phone2,phone3,email,email2,email3,country"; first != want {
		t.Errorf("header %q; want %q", first, want)
	}
	if n := strings.Count(a.String(), "\n"); n != cfg.ListRows+1 {
		t.Errorf("%d lines; want %d", n, cfg.ListRows+1)
	}
	a.Reset()
	if err := WriteKeyUsers(&a, cfg); err != nil {
		t.Fatal(err)
	}
	n := 0
	for range KeyUsers(cfg) {
		n++
	}
	if got := strings.Count(a.String(), "\n"); got != n+1 || !strings.HasPrefix(a.String(), KeyUsersHeader+"\n") {
		t.Errorf("%d lines; want %d and the header", got, n+1)
	}
	bad := cfg
	bad.Keys = &Keys{Phones: 4}
	if err := bad.Validate(); !errors.Is(err, ErrConfig) {
		t.Errorf("Keys.Phones 4: %v; want ErrConfig", err)
	}
}
