// Package psi is private matching (private set intersection) of a
// platform's users and an advertiser's list, by commutative blinding over
// the prime-order group ristretto255 (ECDH-PSI, after Meadows 1986 and
// Huberman, Franklin and Hogg 1999): the platform learns which of its
// users are on the list, and of the rest of the list only how many rows it
// had and which of them were equal; the advertiser learns nothing of the
// users but their number, and what the platform then reports.
//
// # The protocol
//
// H_f is hash-to-group (RFC 9380, suite ristretto255_XMD:SHA-512_R255MAP_RO_)
// under a domain-separation tag naming the identifier's family f (see
// Family.DST), applied to the identifier's normalized form: for a phone,
// its E.164 string. b is the platform's secret scalar, a the advertiser's
// (Key, derived from 32 or more secret bytes).
//
//  1. The platform sends U = [H(u_i)^b], one element for each distinct
//     phone of its users, in the users' order (WriteUsers).
//  2. The advertiser sends back D = {H(x_j)^a}, one for each accepted row
//     of its list, sorted by their bytes, which shuffles them
//     (BlindList), and C = [U_i^a], in U's order (WriteReply).
//  3. The platform computes D^b = {H(x_j)^ab} and finds each in C = [H(u_i)^ab]:
//     position i of C is user i of U (Intersect).
//
// Without a, the platform cannot test a guess against D; without b, the
// advertiser cannot test one against U. Both are semi-honest: what a
// party that cheats can learn is in PRIVACY.md, with the costs.
//
// # Files
//
// Each message is a file (read.go gives the format byte by byte): a header
// with the magic, the version, the kind of message, the group, the family
// and the counts, under a CRC-32C; 32 bytes an element; a SHA-256 trailer.
// Writer and Reader stream them: no step holds a file in memory. The
// advertiser holds its list's elements (32 bytes a row) to sort them, and
// the platform D^b (about 50 bytes a list row) to look C up in it.
//
// # Work
//
// The scalar multiplications are the whole cost, one or two an element at
// each step: HashBlind and Blind spread them over workers with the ordered
// pipeline of internal/parallel, so results keep their order. Keys are
// immutable and safe for concurrent use; Readers and Writers are not.
//
// # Example
//
// A platform with users +16502530000 and +12125550143, and an advertiser
// with +12125550143 and +14155550100: the platform learns that its user 1
// (counting from 0) is on the list, named by one row, and that one other
// row named someone else. See Example.
package psi
