package psi_test

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"log"

	"github.com/audiencematch/audiencematch/psi"
)

func phones(ps ...string) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for _, p := range ps {
			if !yield([]byte(p)) {
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

	// 1. The platform blinds its users' phones (E.164) and sends u.
	var u bytes.Buffer
	h := &psi.Header{Kind: psi.KindUsers, Family: psi.PhoneE164, Region: "US", Counts: [2]int64{2}}
	if err := psi.WriteUsers(ctx, &u, platform, h, phones("+16502530000", "+12125550143"), 0); err != nil {
		log.Fatal(err)
	}

	sizeU := u.Len()

	// 2. The advertiser blinds its list, and u again, and sends the reply.
	d, err := psi.BlindList(ctx, advertiser, psi.PhoneE164, phones("+12125550143", "+14155550100"), 0)
	if err != nil {
		log.Fatal(err)
	}
	users, err := psi.NewReader(&u)
	if err != nil {
		log.Fatal(err)
	}
	var reply bytes.Buffer
	if err := psi.WriteReply(ctx, &reply, advertiser, users, d, 2, nil, 0); err != nil {
		log.Fatal(err)
	}

	sizeReply := reply.Len()

	// 3. The platform finds its users on the list.
	r, err := psi.NewReader(&reply)
	if err != nil {
		log.Fatal(err)
	}
	in, err := psi.Intersect(ctx, platform, r, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("users on the list:", in.Users)
	fmt.Println("other list elements:", len(in.Others))
	fmt.Println("bytes sent:", sizeU, sizeReply)
	// Output:
	// users on the list: map[1:1]
	// other list elements: 1
	// bytes sent: 208 272
}
