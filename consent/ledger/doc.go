// Package ledger is the consent ledger: a durable record, in one bbolt
// file, of each user's winning choice for each purpose, and the answer a
// match asks of it, "may this user be matched?". Every rule it applies
// (identity, reading, precedence, policy) is package consent's.
//
// There are only a few types. A Store is the ledger (see store.go for its
// layout): Record and Import write events to it, Get, Events and Snapshot
// read it. A Snapshot is the ledger's answer for one purpose under one
// consent.Policy, frozen when taken; it implements matcher.Consent, so a
// match checks every user against it before a match leaves the engine.
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
//	s, err := ledger.Open("consent.db", nil)
//	...
//	err = s.Record(ctx, consent.Event{UserID: "u1", Purpose: "ads",
//		Choice: consent.OptOut, Time: time.Now(), Source: "settings page"})
//	snap, err := s.Snapshot("ads", consent.PolicyOptOut)
//	stats, err := base.Match(ctx, list, snap, yield, onReject) // u1 is never matched
//
// The package prints nothing, never exits, and keeps no global state.
package ledger
