// Package privacy decides what of a match may leave the platform, so that
// audience figures cannot be used to learn whether a person is a user.
//
// Three guards, applied by the match command and usable from Go:
//
//   - A minimum audience: an audience smaller than it is not released at
//     all, neither its users nor its size.
//   - Coarse figures: the advertiser's Report gives the audience size
//     rounded down to two significant digits (Round), and nothing about
//     matched rows or opted-out users; the exact figures go to the
//     platform's Audit log.
//   - A differencing defence: a History keeps, per advertiser, a Sketch of
//     each audience released recently, and an audience that differs from
//     one of them by fewer users than the minimum is refused. Sketches
//     hold salted 64-bit hashes of user ids, never ids or phone digests.
//
// PRIVACY.md at the root of the module is the threat model these serve.
package privacy
