// Package consent is the consent ledger: a durable record of what each user
// chose for each purpose, and the answer a match asks of it, "may this user
// be matched?".
//
// There are only a few types. An Event is one choice: a user, a purpose
// ("ads" gates ad matching), OptOut or OptIn, the time it takes effect and
// its source. A Store is the ledger, one bbolt file (see store.go for its
// layout): Record and Import write events to it, Get, Events and Snapshot
// read it. A Snapshot is the ledger's answer for one purpose under one
// Policy, frozen when taken; it implements matcher.Consent, so a match
// checks every user against it before a match leaves the engine.
//
// # The model
//
// For each (user, purpose) the latest effective event wins, whatever the
// order events arrive in: an older event recorded later changes nothing. At
// the same effective time OptOut wins over OptIn, the choice that protects
// the user; between two events equal in time and choice the greater Source
// wins, so that the ledger is a function of the set of events recorded (see
// Event.Supersedes). Under PolicyOptOut, the default, a user is excluded if
// and only if their winning choice for the purpose is OptOut; under
// PolicyOptIn a user is excluded unless it is OptIn, so users the ledger
// does not know are excluded.
//
// User ids and purposes are compared without surrounding blanks, and
// purposes case-insensitively: an opt-out recorded for " u1" and "Ads"
// excludes "u1" from "ads" matches.
//
// # Durability and concurrency
//
// Every Record and every batch of an Import is one transaction, durable
// when it returns (fsync). After a crash the ledger opens with every
// committed transaction and no part of any other. An import records its
// progress in the same transactions, so a rerun after a crash resumes where
// the last batch ended (see import.go).
//
// A Store is safe for concurrent use: an ad service can Record choices
// while matches run. Each match takes a Snapshot when it starts and sees
// every write committed before that, and none after; the next Snapshot sees
// the writes since. Within one process that is all there is to it. Across
// processes, bbolt locks the file: a process that has the Store open for
// writing holds it exclusively, and read-only opens (Options.ReadOnly)
// share it, so the CLI opens, snapshots and closes as quickly as it can.
//
// # Example
//
//	s, err := consent.Open("consent.db", nil)
//	...
//	err = s.Record(ctx, consent.Event{UserID: "u1", Purpose: "ads",
//		Choice: consent.OptOut, Time: time.Now(), Source: "settings page"})
//	snap, err := s.Snapshot("ads", consent.PolicyOptOut)
//	stats, err := base.Match(ctx, list, snap, yield, onReject) // u1 is never matched
//
// The package prints nothing, never exits, and keeps no global state.
package consent
