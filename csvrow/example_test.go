package csvrow_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/audiencematch/audiencematch/csvrow"
)

// Each line comes back with its number; a refused line comes back alone,
// with its reason, and reading goes on.
func Example() {
	in := "\xef\xbb\xbfUser_ID,phone\nu1,+16505551234\n\nu2,\"+44 20\nu3,\"+1, 650\"\n"
	r := csvrow.NewReader(strings.NewReader(in))
	header, _ := r.Header()
	fmt.Println(header, csvrow.Index(header, "user_id", "country"))
	for {
		line, fields, err := r.Next()
		if err == io.EOF {
			break
		}
		var le *csvrow.LineError
		if errors.As(err, &le) {
			fmt.Printf("line %d refused: %v (blank: %v)\n", line, le.Err, errors.Is(err, csvrow.ErrBlank))
			continue
		}
		fmt.Printf("line %d: %s, %d bytes of phone\n", line, fields[0], len(fields[1]))
	}
	// Output:
	// [user_id phone] [0 -1]
	// line 2: u1, 12 bytes of phone
	// line 3 refused: blank line (blank: true)
	// line 4 refused: bad quoting (blank: false)
	// line 5: u3, 7 bytes of phone
}
