package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/audiencematch/audiencematch/beam/pipeline"
)

// The demo of the root module, matched on Prism: the audience begins as
// match run's does, with the report beside it (the audience size rounded
// down to two significant digits: 22 stays 22).
func Example() {
	dir, err := os.MkdirTemp("", "pipeline-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	demo := "../../testdata/demo/"

	p, s := beam.NewPipelineWithRoot()
	err = pipeline.Build(context.Background(), s, pipeline.Config{
		Users:   demo + "users.csv",
		List:    demo + "list.csv",
		Optouts: demo + "optouts.csv",
		Out:     filepath.Join(dir, "audience.csv"),
		Report:  filepath.Join(dir, "report.json"),
		// The platform's own run: no minimum, no noise, the exact
		// figures. An advertiser's run sets MinAudience, Epsilon,
		// Budget, Advertiser and History (privacy.Guards).
		MinAudience: 0,
		Epsilon:     0,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A program calls beamx.Run(ctx, p), which picks the runner from
	// --runner (default prism); a test uses ptest.
	if err := ptest.Run(p); err != nil {
		fmt.Println(err)
		return
	}
	audience, _ := os.ReadFile(filepath.Join(dir, "audience.csv"))
	fmt.Println(strings.Join(strings.Fields(string(audience))[:5], " "), "…")
	report, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	for _, l := range strings.Split(string(report), "\n") {
		if strings.Contains(l, "status") || strings.Contains(l, "audience_size") {
			fmt.Println(strings.TrimSpace(l))
		}
	}
	// Output:
	// user_id u001 u002 u003 u005 …
	// "status": "released",
	// "audience_size": 22,
}
