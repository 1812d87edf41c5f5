// Package psi is private matching (private set intersection) of a
// platform's users and an advertiser's list, by commutative blinding over
// the prime-order group ristretto255 (ECDH-PSI, after Meadows 1986 and
// Huberman, Franklin and Hogg 1999): the platform learns which of its
// users' identifiers are on the list, and of the rest of the list only how
// many identifiers it had and which of them were equal; the advertiser
// learns nothing of the users but how many identifiers they have, and
// what the platform then reports.
//
// # Identifiers
//
// An identifier is a phone or an email address, each in one family (see
// Family): a phone in E.164 (PhoneE164), an address trimmed and
// lower-cased (Email) or in UID2's canonical form (EmailUID2). Both
// parties must use the same normal form for emails, or an address would
// match no one: the platform chooses it for its users' file, which
// records it (Header.Families), and the advertiser follows it.
//
// What is hashed to the group is the SHA-256 digest of the identifier's
// normal form, which matcher.Digester gives: so both parties accept,
// refuse and normalize identifiers by matcher's rules, the same as match
// run, and nothing of them is written twice. Hash-to-group hashes its
// input again (expand_message_xmd with SHA-512), so a 32-byte digest in
// place of the string costs nothing of the protocol's security.
//
// # The protocol
//
// H_f is hash-to-group (RFC 9380, suite ristretto255_XMD:SHA-512_R255MAP_RO_)
// under a domain-separation tag naming the family f (Family.DST): a phone
// and an address never hash to the same element. b is the platform's
// secret scalar, a the advertiser's (Key, derived from 32 or more secret
// bytes).
//
//  1. The platform sends U = [H(u_i)^b], one element for each distinct
//     identifier of its users (phones and addresses), in the users' order
//     (WriteUsers).
//  2. The advertiser sends back D = {H(x_j)^a}, one for each valid
//     identifier of each accepted row of its list, sorted by their bytes,
//     which shuffles them and loses which shared a row (BlindList), and
//     C = [U_i^a], in U's order, with its figures of the list: rows read,
//     accepted and refused by reason, identifiers of each kind accepted
//     and refused by reason (WriteReply).
//  3. The platform computes D^b = {H(x_j)^ab} and finds each in C = [H(u_i)^ab]:
//     position i of C is identifier i of U (Intersect).
//
// Without a, the platform cannot test a guess against D; without b, the
// advertiser cannot test one against U. Both are semi-honest: what a
// party that cheats can learn is in PRIVACY.md, with the costs.
//
// A row of several identifiers matches every user any of them matches,
// as in match run: the audience is the union of the identifiers'
// matches, so it needs no rows, and D carries none. The one figure that
// would is the platform's count of rows matched, for its audit: psi
// counts a matched identifier as a matched row (cmd/match's psiStats).
//
// # Files
//
// Each message is a file (read.go gives the format byte by byte): a header
// with the magic, the version, the kind of message, the group, the
// families and the counts, under a CRC-32C; 32 bytes an element; a
// SHA-256 trailer. Writer and Reader stream them: no step holds a file in
// memory. The advertiser holds its list's elements (32 bytes an
// identifier) to sort them, and the platform D^b (about 50 bytes a list
// identifier) to look C up in it. Version 2 (phones and emails) replaced
// version 1 (phones only, their E.164 hashed to the group), which is
// refused (ErrVersion).
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
// A platform with users +16502530000, +12125550143 and jane@example.com,
// and an advertiser with two rows, +12125550143 and jane@example.com,
// +14155550100 and joe@example.com: the platform learns that its
// identifiers 1 and 2 (counting from 0) are on the list, named once
// each, and that two other identifiers named someone else. See Example.
package psi
