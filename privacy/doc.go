// Package privacy decides what of a match may leave the platform, so that
// neither an audience's figures nor the decision to release it tell an
// advertiser whether a given person is a user.
//
// There is one decision, Decide, which match run and the Beam pipeline
// both call, and a few types: Guards (the settings), Outcome (what a match
// found, exactly), Release (the decision, the advertiser's Report and the
// platform's Audit record), and History (one file per platform: the
// noise's secret, each advertiser's spending and recent lists).
//
// The guards, in the order Decide applies them:
//
//   - A budget: each decision made on an audience spends Epsilon of the
//     advertiser's Budget for Window; past it a run is refused before it
//     reads the list (Guards.Admit), the same way for every list.
//   - A differencing defence on lists: a list whose distinct identifiers
//     differ from a recent list of the advertiser's by more than zero and
//     fewer than MinAudience is refused, whoever its rows are. Sketches
//     hold salted 64-bit hashes, never ids or digests.
//   - Noisy figures: the release decision (the noisy size reaches
//     MinAudience) and the reported size (rounded down to two significant
//     digits, Round) use the exact size plus two-sided geometric noise of
//     parameter exp(-Epsilon), keyed on the secret, the advertiser, the list
//     and the audience, so each decision is Epsilon-differentially private
//     and the same question gets the same answer. The exact figures go to
//     the platform's Audit log only.
//
// PRIVACY.md at the root of the module is the threat model, with the
// arithmetic of the defaults.
package privacy
