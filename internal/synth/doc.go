// Package synth generates deterministic, synthetic data sets at any scale
// for the matching engine's tests and benchmarks: a platform's user base,
// its opt-outs, an advertiser's contact list of raw phone numbers in the
// many ways people write them, and a log of consent events over the users.
//
// There are only a few types: a Config says what to generate; Users,
// OptOuts, List and Events stream the rows as User, string, ListRow and
// Event values; and WriteUsers, WriteOptOuts, WriteList and WriteEvents
// write them as CSV (see write.go for the format). Command bench/cmd/gen
// writes the files.
//
// # Guarantees
//
//   - Deterministic: the output is a pure function of the Config (and of the
//     metadata of the phonenumbers version in go.mod). Same Config, same
//     bytes, on every run and machine; another Seed, another data set.
//   - Streaming: every row is computed from (Seed, table, row index) alone
//     with a freshly seeded PCG (math/rand/v2); nothing grows with the row
//     count, so 100M users take the same memory as 100. Row i of Users does
//     not depend on Users, so a smaller base is a prefix of a larger one.
//   - Real numbers: each phone is libphonenumber's example number of a
//     region and type (mobile or fixed line) with its trailing digits
//     redrawn, and is valid for its region (IsValidNumberForRegion).
//   - Ground truth without a lookup: a list row "from the base" regenerates
//     the phone of a random user index, so it normalizes (phonenumbers.Parse
//     with the row's Country, Format E164) to that user's phone. Users'
//     phones have an even E.164 digit sum and the list's other phones an
//     odd one, so those never match anyone.
//   - Junk is junk: every junk row fails Parse or IsPossibleNumber.
//   - Mess is harmless: a valid row with the mess of real exports (no-break
//     spaces, Unicode dashes and digits, labels, spelled-out extensions)
//     normalizes as the same row without it (Config.Clean).
//
// # Example
//
// With Seed 1, three users over GB and US:
//
//	cfg := synth.Config{Seed: 1, Users: 3, Regions: []string{"GB", "US"}}
//	synth.WriteUsers(os.Stdout, cfg)
//
// prints
//
//	user_id,phone,country
//	u821780235,01484 874653,GB
//	u209200724,+12489363390,US
//	u596621213,+12143661572,US
//
// The list of Config{Seed: 1, Users: 1000, ListRows: 30, MatchRate: 0.5,
// Clean: true} begins
//
//	phone,country
//	019-7346-1089,KR
//	+57 317 4897769,CO
//	+1-206-255-1512,US
//	tel:+212-5-37-19-84-16,MA
//	019/3659180,FI
//	00 63 985 724 8648,MA
//
// and goes on with rows such as "010 41 72 795 46 28,JP" (IDD from Japan
// to Switzerland), "+32 (0)460 45 82 09,BE" and "0174.98401768,DE".
// Without Clean (the default), the same list begins "０１９－７３４６－１０８９,KR"
// (full-width, as Korean input methods type it) and writes
// "+54 11 4319‑6285,AR" with a non-breaking hyphen (U+2011): the mess of
// real exports, at the shares given in mess.go.
//
// With Config.Keys, KeyUsers and KeyList (email.go) give multi-key data
// sets: users with email addresses, some on rows of their own, and list
// rows of up to three phones and three emails, written as people write
// them (upper case, blanks around, gmail.com dots and "+tags", junk); the
// first phone of a row is List's.
//
// All functions are safe for concurrent use. Region tables are built once
// per process on first use of a region (about 3 ms each) and never change.
package synth
