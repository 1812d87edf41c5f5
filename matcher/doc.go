// Package matcher finds the audience of a contact list in a user base: the
// users whose phone is on the list, less those who opted out.
//
// There are only a few types. A Base is a user base ready to be matched,
// made once by BuildBase and then read only. A Consent says which users may
// not be matched; Exclusions, the set of users who opted out, is the
// simplest. Base.Match streams a list of Entry values (raw phones or
// hashes) through the base and yields each Match, with Stats and a Reject
// for every refused row.
//
// The pipeline of one Match is
//
//	entry ─► normalize.E164 ─► SHA-256 ─► (bloom filter) ─► hash table ─► opt-out check ─► Match
//	          (or decode a hash)
//
// Normalizing and hashing run in parallel on Options.Workers goroutines;
// everything after the table probe runs in list order, so results are the
// same on every run and every machine.
//
// The privacy contract: a user the Consent passed to Match excludes is never
// yielded, and no figure of Stats counts them. A list row whose phone
// belongs only to opted-out users is counted as Unmatched, exactly as if
// the phone were unknown, so Stats cannot be used to learn that an
// opted-out user exists.
//
// Every list row is accounted for: Rows == Matched + Unmatched + Rejected.
//
// Keys are SHA-256 digests of E.164 strings in the base's digest family
// (see normalize.Format): a hashed list matches only a base keyed the same
// way, while raw phone lists match whatever the family.
//
// All types are safe for concurrent use once built; the package keeps no
// global state, prints nothing and never exits.
package matcher
