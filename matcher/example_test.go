package matcher_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/audiencematch/audiencematch/matcher"
)

func Example() {
	ctx := context.Background()
	users := []matcher.User{
		{Line: 2, ID: "u1", Phone: "+16502530000"},
		{Line: 3, ID: "u2", Phone: "020 7183 8750", Region: "GB"},
		{Line: 4, ID: "u3", Phone: "(212) 555-0143"},
	}
	base, err := matcher.BuildBase(ctx, slices.Values(users), nil, nil)
	if err != nil {
		panic(err)
	}
	optedOut := matcher.NewExclusions(slices.Values([]string{"u3"}))

	list := []matcher.Entry{
		{Line: 2, Phone: "650-253-0000"},
		{Line: 3, Phone: "00 44 20 7183 8750", Region: "DE"},
		{Line: 4, Phone: "212.555.0143"}, // u3 opted out: never yielded
		{Line: 5, Phone: "not a phone"},
	}
	st, err := base.Match(ctx, slices.Values(list), optedOut,
		func(m matcher.Match) error {
			fmt.Printf("%s (list line %d)\n", m.UserID, m.Line)
			return nil
		},
		func(r matcher.Reject) { fmt.Println("rejected:", r) })
	if err != nil {
		panic(err)
	}
	fmt.Printf("rows %d = matched %d + unmatched %d + rejected %d; audience %d\n",
		st.Rows, st.Matched, st.Unmatched, st.Rejected, st.Audience)
	// Output:
	// u1 (list line 2)
	// u2 (list line 3)
	// rejected: line 5: not a phone number
	// rows 4 = matched 2 + unmatched 1 + rejected 1; audience 2
}
