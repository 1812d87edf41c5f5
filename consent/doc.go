// Package consent is the consent model: what a user's choice is, how
// choices are read and compared, which of them wins, and what a policy
// makes of it. It is the one place these rules are written; the bbolt
// ledger (package consent/ledger), match run, match prune and the Beam
// pipeline all ask it, and none keeps a copy.
//
// There are only a few types. An Event is one choice: a user, a purpose
// ("ads" gates ad matching), OptOut or OptIn, the time it takes effect and
// its source. A Policy says who may be matched given each user's latest
// choice for a purpose.
//
// # The rules
//
//   - Identity: user ids are compared without surrounding blanks
//     (CanonicalUserID), purposes without blanks and case-insensitively
//     (CanonicalPurpose): an opt-out recorded for " u1" and "Ads" excludes
//     "u1" from "ads" matches. A match asked for no purpose is for
//     DefaultPurpose (MatchPurpose).
//   - Reading: ParseEvent makes an Event of the fields of a line of an
//     events file (Columns): the choice "opt-out" or "opt-in" in any case,
//     the time in RFC 3339 and within what the ledger stores (1678 to
//     2261), ids, purposes and sources of at most MaxFieldLen bytes.
//     Anything else is refused with one of the sentinel errors.
//   - Precedence: for each (user, purpose) the event with the latest
//     effective time wins, whatever the order events arrive in; at the same
//     time OptOut wins over OptIn, the choice that protects the user;
//     between two events equal in time and choice the greater Source wins,
//     so the winner is a function of the set of events (Event.Supersedes,
//     Latest).
//   - Policy: under PolicyOptOut, the default, a user is excluded if and
//     only if their winning choice for the purpose is OptOut; under
//     PolicyOptIn a user is excluded unless it is OptIn, so users with no
//     choice at all are excluded (Policy.Excludes).
//
// # Example
//
//	e, err := consent.ParseEvent(" u1 ", "Ads", "opt-out", "2024-05-01T12:00:00Z", "web")
//	// e.UserID == "u1", e.Purpose == "ads", e.Choice == consent.OptOut
//	latest, ok := consent.Latest([]consent.Event{e, older})
//	excluded := consent.PolicyOptOut.Excludes(latest, ok) // true
//
// The package imports only the standard library, prints nothing, never
// exits and keeps no global state.
package consent
