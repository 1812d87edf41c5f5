package psi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"iter"
	"log"
	"strings"

	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
	"github.com/audiencematch/audiencematch/psi"
)

// identifiers returns normalized phones and emails (an email has an "@")
// as psi hashes them: the SHA-256 of the normal form, in its family.
func identifiers(xs ...string) iter.Seq[psi.Identifier] {
	return func(yield func(psi.Identifier) bool) {
		for _, x := range xs {
			f := psi.PhoneE164
			if strings.Contains(x, "@") {
				f = psi.Email
			}
			if !yield(psi.Identifier{Family: f, Digest: sha256.Sum256([]byte(x))}) {
				return
			}
		}
	}
}

// The three steps, each party with its own key.
func Example() {
	ctx := context.Background()
	platform, _ := psi.NewKey(bytes.Repeat([]byte{'p'}, psi.MinKeyLen))
	advertiser, _ := psi.NewKey(psi.NewRandomSecret())

	// 1. The platform blinds its users' phones (E.164) and addresses
	// (trimmed, lower-cased) and sends u.
	var u bytes.Buffer
	h := &psi.Header{Kind: psi.KindUsers, Families: psi.FamiliesFor(normalize.EmailHex), Region: "US", Counts: [2]int64{3}}
	if err := psi.WriteUsers(ctx, &u, platform, h, identifiers("+16502530000", "+12125550143", "jane@example.com"), 0); err != nil {
		log.Fatal(err)
	}

	sizeU := u.Len()

	// 2. The advertiser blinds its list, two rows of a phone and an
	// address each, and u again, and sends the reply.
	d, err := psi.BlindList(ctx, advertiser, identifiers("+12125550143", "jane@example.com", "+14155550100", "joe@example.com"), 0)
	if err != nil {
		log.Fatal(err)
	}
	users, err := psi.NewReader(&u)
	if err != nil {
		log.Fatal(err)
	}
	st := matcher.Stats{Rows: 2, Accepted: 2, Phone: matcher.KindStats{Accepted: 2}, Email: matcher.KindStats{Accepted: 2}}
	var reply bytes.Buffer
	if err := psi.WriteReply(ctx, &reply, advertiser, users, d, psi.ListKeys, st, 0); err != nil {
		log.Fatal(err)
	}

	sizeReply := reply.Len()

	// 3. The platform finds its users' identifiers on the list.
	r, err := psi.NewReader(&reply)
	if err != nil {
		log.Fatal(err)
	}
	in, err := psi.Intersect(ctx, platform, r, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("users' identifiers on the list:", in.Users)
	fmt.Println("other list elements:", len(in.Others))
	fmt.Println("bytes sent:", sizeU, sizeReply)
	// Output:
	// users' identifiers on the list: map[1:1 2:1]
	// other list elements: 2
	// bytes sent: 269 397
}
