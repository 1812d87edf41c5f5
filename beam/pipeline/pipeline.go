package pipeline

import (
	"context"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"

	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/privacy"
)

// Counters, in namespace CounterNamespace. Every one counts after
// exclusion: no counter includes an excluded user.
const (
	CounterNamespace     = "audiencematch"
	CounterUsersIn       = "users_in"       // user rows accepted (a valid phone or address)
	CounterUsersRejected = "users_rejected" // user rows skipped: bad row, empty id, or neither phone nor address valid
	CounterListIn        = "list_in"        // list rows accepted (a valid identifier)
	CounterProbeIn       = "probe_in"       // rows of the probe side tested against the bloom filter
	CounterProbePassed   = "probe_passed"   // of which the filter let through
	CounterShuffled      = "shuffled"       // rows of both sides entering the join's shuffle
	CounterWithheld      = "withheld"       // 1 if a privacy guard withheld the audience
)

var (
	usersIn     = beam.NewCounter(CounterNamespace, CounterUsersIn)
	listIn      = beam.NewCounter(CounterNamespace, CounterListIn)
	probeIn     = beam.NewCounter(CounterNamespace, CounterProbeIn)
	probePassed = beam.NewCounter(CounterNamespace, CounterProbePassed)
	shuffled    = beam.NewCounter(CounterNamespace, CounterShuffled)
	withheld    = beam.NewCounter(CounterNamespace, CounterWithheld)
)

// Build checks cfg and the headers of its input files, and adds the match
// to the pipeline of s. The error, if any, is an ErrConfig or a *FileError,
// and nothing is added. Running the pipeline writes cfg.Out, and
// cfg.Report and cfg.Rejects if set, with exactly what match run writes
// for the same inputs and flags (see the package documentation for the
// correspondence).
func Build(ctx context.Context, s beam.Scope, cfg Config) error {
	p, err := check(ctx, cfg)
	if err != nil {
		return err
	}
	s = s.Scope("Match")
	h := digester{Region: p.Region, Format: p.Format, EmailFormat: p.EmailFormat}

	users := beam.ParDo(s.Scope("ReadUsers"), &readUsersFn{}, beam.Create(s, p.Users))
	users = exclude(s, p, users)
	userKeys := beam.ParDo(s, &digestUsersFn{Digester: h}, users)

	list := beam.ParDo(s.Scope("ReadList"), &readListFn{Format: p.Format, EmailFormat: p.EmailFormat}, beam.Create(s, p.List))
	list = beam.Reshuffle(s, list)
	listKeys, refused, counted, acceptedRows := beam.ParDo4(s, &digestListFn{Digester: h}, list)
	accepted := stats.CountElms(s, acceptedRows)
	counts := stats.Count(s, counted)
	uploaded := listKeys // every accepted identifier's digest, for the list's sketch

	if p.Prefilter == matcher.PrefilterBloom {
		if p.buildSide == SideUsers {
			listKeys = beam.ParDo(s, &filterFn{}, listKeys, beam.SideInput{Input: bloomFilter(s, userKeys)})
		} else {
			userKeys = beam.ParDo(s, &filterFn{}, userKeys, beam.SideInput{Input: bloomFilter(s, listKeys)})
		}
	}
	userKeys = beam.ParDo(s, &countShuffledFn{}, userKeys)
	listKeys = beam.ParDo(s, &countShuffledFn{}, listKeys)
	audience, matched := join(s, userKeys, listKeys)

	beam.ParDo0(s, &writeFn{
		Out: p.Out, Report: p.Report, Rejects: p.Rejects,
		List: p.List, ListKind: p.listKind, HashFormat: p.hashFormat, EmailHashFormat: p.emailHashFormat,
		MinAudience: p.MinAudience, Epsilon: p.Epsilon, Budget: p.Budget,
		Audit: p.Audit, Advertiser: p.Advertiser, History: p.History,
		Run: privacy.NewRun(),
	}, beam.Impulse(s),
		beam.SideInput{Input: audience}, beam.SideInput{Input: refused},
		beam.SideInput{Input: accepted}, beam.SideInput{Input: matched}, beam.SideInput{Input: counts}, beam.SideInput{Input: uploaded})
	return nil
}

func init() {
	for _, t := range []any{userRow{}, listRow{}, keyCell{}, event{}, hit{}, listKey{}, reject{}, keyStat{}, rank{}, bloomShard{}} {
		beam.RegisterType(reflect.TypeOf(t))
	}
	register.DoFn3x1[context.Context, string, func(userRow), error](&readUsersFn{})
	register.DoFn3x1[context.Context, string, func(listRow), error](&readListFn{})
	register.DoFn3x1[context.Context, string, func(string, event), error](&readOptoutsFn{})
	register.DoFn3x1[context.Context, string, func(string, event), error](&readConsentFn{})
	register.Function1x2(keyByID)
	register.DoFn4x0[string, func(*userRow) bool, func(*event) bool, func(userRow)](&excludeFn{})
	register.DoFn3x1[context.Context, userRow, func([]byte, hit), error](&digestUsersFn{})
	register.DoFn6x1[context.Context, listRow, func([]byte, listKey), func(reject), func(keyStat), func(int64), error](&digestListFn{})
	register.Function2x2(shardOf)
	register.Function2x2(buildShard)
	register.DoFn5x1[context.Context, []byte, beam.Y, func(*bloomShard) bool, func([]byte, beam.Y), error](&filterFn{})
	register.DoFn4x0[context.Context, []byte, beam.Y, func([]byte, beam.Y)](&countShuffledFn{})
	register.DoFn5x0[[]byte, func(*hit) bool, func(*listKey) bool, func(string, rank), func(listKey)](&joinFn{})
	register.Function2x1(minRank)
	register.DoFn8x1[context.Context, []byte, func(*string, *rank) bool, func(*reject) bool, func(*int) bool, func(*listKey) bool, func(*keyStat, *int) bool, func(*[]byte, *listKey) bool, error](&writeFn{})

	register.Emitter1[userRow]()
	register.Emitter1[listRow]()
	register.Emitter2[string, event]()
	register.Emitter2[string, userRow]()
	register.Emitter1[reject]()
	register.Emitter2[[]byte, hit]()
	register.Emitter2[[]byte, int64]()
	register.Emitter2[[]byte, listKey]()
	register.Emitter1[listKey]()
	register.Emitter1[keyStat]()
	register.Emitter2[[]byte, beam.Y]()
	register.Emitter2[string, rank]()
	register.Emitter1[int64]()
	register.Iter1[userRow]()
	register.Iter1[event]()
	register.Iter1[[]byte]()
	register.Iter1[bloomShard]()
	register.Iter1[hit]()
	register.Iter1[int64]()
	register.Iter1[reject]()
	register.Iter1[int]()
	register.Iter2[string, rank]()
	register.Iter2[[]byte, int64]()
	register.Iter2[[]byte, listKey]()
	register.Iter1[listKey]()
	register.Iter2[keyStat, int]()
}
