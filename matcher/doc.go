// Package matcher finds the audience of a contact list in a user base: the
// users whose phone or email address is on the list, less those whom
// consent excludes.
//
// # Three ways to match
//
// The join comes in three forms. They differ in which side sits in a hash
// table and for how long, and give the same answer: for the same users,
// list, consent and options, the same users in the same order and the
// same Stats.
//
//   - A Base holds the user base in memory (base.go). BuildBase reads the
//     users once, normalizes and hashes every phone into a hash table, with
//     a bloom filter in front when Options.Prefilter asks for one; then
//     Base.Match streams a list through it, yielding as it goes. A Base
//     serves any number of lists, concurrently.
//   - A List holds the contact list in memory (list.go), for a one-off
//     match against a base larger than the list. BuildList reads the list
//     once into a hash table; then List.Match streams the users through it
//     and never holds the base: it keeps the table and the users matched so
//     far, and yields them once the whole base has been read.
//   - An Index holds the user base in a file (indexfile.go writes it and
//     describes it byte by byte; index.go reads it). WriteIndex reads the
//     users once and writes them keyed in both digest families, so one
//     index serves lists in every Format. OpenIndex memory-maps the file:
//     opening reads only its header and checksum table, and a match reads
//     only the pages its list touches, each checked against its CRC-32C
//     the first time. Then Index.Match streams a list through it, as
//     Base.Match does, looking up a batch of rows at once so that their
//     cache misses and page faults overlap (indexbatch.go).
//     OpenKeyedIndex opens an index written with Options.Key (indexkey.go).
//
// # What they share
//
// Options, where nil means every default. Format is the format of hashed
// list values and so the digest family (E164Hex and UID2 share one, Digits
// is the other); Region reads the phones of rows without one; Workers
// bounds the goroutines that normalize and hash; Prefilter asks for the
// bloom filter; Key makes a keyed index. A Base and a List take them when
// built and keep them. WriteIndex uses Region, Workers and Key, and
// Index.Match takes the list's Format, Region, Workers and Prefilter on
// each call. A List has no bloom filter.
//
// Options are checked: Workers above MaxWorkers or negative, and a Format
// or Prefilter that is none of the constants, are errors wrapping
// ErrBadOptions.
//
// Inputs are streams (iter.Seq): User rows on the base's side (Line, ID,
// Phone, Email, Region), Entry rows on the list's side (Line and either a
// raw Phone with an optional Region or a Hash in Options.Format, and any
// further phones and emails, raw or hashed, in Keys). A row of several
// identifiers matches every user any of them matches (keys.go has the
// rules: absent and refused identifiers, reasons, figures by kind). A row the
// caller already refused carries its Err. A refused row is passed to
// onReject, if not nil, as a Reject (its Line, and why) and the call goes
// on: bad data is never an error. A call fails for bad options, a nil
// stream or yield (ErrNilArgument; a nil Consent or onReject is allowed),
// a cancelled ctx, an error returned by yield (Match stops at the first
// and returns it with the figures so far), a file that cannot be written
// or opened, or an index page that fails its checksum (ErrIndexCorrupt).
//
// Cancellation is prompt: every loop that can run long (reading, hashing,
// building a table or an index file, reading the holders of a key,
// yielding) looks at ctx every few thousand steps, so a call returns
// within milliseconds of ctx being done, and Match yields nothing after
// it has seen ctx done. A panic in a function the caller passed in
// (Consent.Excludes, yield, onReject, Options.OnAccept, the stream
// itself), on whichever goroutine it runs, is recovered and returned as a
// *PanicError: a bad callback fails its call, not the process.
//
// Consent is checked before anything leaves. Match takes a Consent (nil
// excludes no one; *Exclusions, a set of opted-out ids, is the simplest;
// a consent ledger hands out snapshots). A user it excludes is never
// yielded and no figure of Stats counts them: a list row whose phone
// belongs only to excluded users is Unmatched, exactly as if the phone
// were unknown, so Stats cannot be used to learn that an excluded user
// exists. Base.Match and Index.Match check the users holding each matched
// digest; List.Match checks each user row as it is read, before its phone
// is hashed. A Consent that is also a BatchConsent (Exclusions and the
// ledger's snapshots are) is asked about a batch's holders at once.
//
// Stats are the advertiser's figures of the list, after exclusion. Every
// list row is accounted for: Rows == Matched + Unmatched + Rejected, and
// Audience is the number of users yielded. Refused user rows are reported
// to onReject but are not list rows: Stats do not count them. A List's
// Rows, Accepted and Rejected come from BuildList (List.Stats).
//
// The output order is the same for all three, on every run, machine and
// number of Workers: each user of the audience once, in the order of the
// list row that first matched them (Match.Line); users matched by the same
// row in the order of their first row holding that phone.
//
// # One match
//
// Base.Match and Index.Match run the same loop (match.go):
//
//	entry ─► normalize.E164 ─► SHA-256 ─► (bloom filter) ─► hash table ─► consent check ─► Match
//	          (or decode a hash)
//
// Everything up to and including the consent check runs in parallel on
// Options.Workers goroutines; counting and yielding run in list order, and yield and
// onReject are called from one goroutine at a time. The users holding a
// digest are read and checked against consent once per match (twice at
// most, when two workers meet the digest at once), however many list rows
// name it: a match costs its list rows plus the users it matches, never
// their product, even when a phone is shared by a million users and
// named on every row.
//
// Keys are SHA-256 digests of E.164 strings in the digest family of
// Options.Format, and of email addresses in that of Options.EmailFormat
// (see normalize.Format), side by side in one table: they never meet. A hashed list must be given the
// Format it was hashed in. A Base is keyed in one family, so it matches
// only lists hashed in that family; an Index holds both; raw phone lists
// match whatever the family.
//
// Base, List, Index and Exclusions are immutable once made and safe for
// concurrent use; Index.Close releases an index, and no Match may run
// during or after it. The package keeps no global state, prints nothing
// and never exits.
package matcher
