// Package pipeline is match run as an Apache Beam pipeline: the same
// inputs, the same answer, on any Beam runner — Prism locally and in
// tests, Flink, Spark or Dataflow at scale.
//
// Build adds the match to a pipeline:
//
//	p, s := beam.NewPipelineWithRoot()
//	err := pipeline.Build(ctx, s, pipeline.Config{
//		Users: "users.csv", List: "list.csv", Optouts: "optouts.csv",
//		Out: "audience.csv", Report: "report.json",
//	})
//	// then beamx.Run(ctx, p), or ptest.Run(p) in a test
//
// # The pipeline
//
//	users ──read──► exclude ──────────► digest ──┐ (build side: the smaller)
//	               (CoGroupByKey by id             ├──► bloom filter, in 256 pieces
//	                with opt-outs and              │          │ side input
//	                consent events)                ▼          ▼
//	list ──read──► reshuffle ──► digest ──────► filter (probe side) ──► CoGroupByKey
//	                               │ refused rows                        by digest
//	                               ▼                                         │
//	                          report figures ◄── matched lines, ranks ◄──────┘
//	                                 └──────────► write audience, report, rejects
//
// Normalizing and hashing are the root module's: matcher.Digester gives
// each user row's and list row's digests (phones in the Config's format
// family, email addresses in its email family, hashes decoded) exactly as
// a match computes them, refused identifiers and reasons included. A list
// row of several phones and emails goes into the join once per valid
// identifier, keyed by its digest; the join emits every matched
// identifier, and a row is matched if any of its identifiers is. Files
// are read with the root's internal/csvrow, their identifier columns
// found with internal/idcols, as match run reads them. Consent is the root's package consent: events are read with
// consent.ParseEvent, users joined by consent.CanonicalUserID, and each
// user's fate is consent.Latest and Policy.Excludes. The release is
// privacy.Decide's, the very function match run calls.
//
// # Same answer as match run
//
// For the same files and flags, the outputs are byte for byte match
// run's: the audience in the order of the list line that first matched
// each user (and, for one line, of its identifiers, then of the user
// rows); the report with the same fields (matcher.Stats, identifiers by
// kind included) and figures; the rejects in line order with
// the same reasons. The tests check it on prism against the match command
// over the root's golden cases and a generated scenario.
//
// Where match run reads a consent ledger, the pipeline reads its export
// (Config.Consent, Policy, Purpose) and excludes the same users: those the
// opt-out file lists, and those the policy excludes given their latest
// choice for the purpose (package consent states the rules once for both).
//
// # Privacy
//
// Excluded users are dropped first, joined away by user id before their
// phones are even normalized: no digest, filter, counter, figure or output
// includes them. No phone or email address, raw, normalized or hashed, is
// written or logged.
//
// # Scale
//
// Every step but three runs in parallel over the workers and holds one
// key's rows at a time. The three: each input file is read by one worker
// (line numbers are positions in the file; a split read would first have
// to count lines per split); each piece of the bloom filter is built by
// one worker from its 1/256 of the build side's digests (32 bytes each);
// and the outputs are written by one worker, which sorts the audience in
// memory (about 50 bytes a user) to write match run's single ordered file.
//
// Counters (namespace CounterNamespace) show the bloom filter's effect:
// CounterProbeIn rows tested, CounterProbePassed let through, and
// CounterShuffled rows into the join, with or without the filter
// (Config.Prefilter).
package pipeline
