package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

func TestMain(m *testing.M) { ptest.Main(m) }

func TestQuick(t *testing.T) {
	dir := t.TempDir()
	demo := "../../testdata/demo/"
	cfg := Config{Users: demo + "users.csv", List: demo + "list.csv", Optouts: demo + "optouts.csv",
		Out: filepath.Join(dir, "aud.csv"), Report: filepath.Join(dir, "rep.json"), Rejects: filepath.Join(dir, "rej.csv")}
	p, s := beam.NewPipelineWithRoot()
	if err := Build(context.Background(), s, cfg); err != nil {
		t.Fatal(err)
	}
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Metrics().AllMetrics().Counters() {
		t.Log(c.Key.Name, c.Result())
	}
	for _, f := range []string{"aud.csv", "rep.json", "rej.csv"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		t.Logf("%s:\n%s", f, b)
	}
}
