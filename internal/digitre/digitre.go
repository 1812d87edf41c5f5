// Package digitre compiles a regular expression into a deterministic
// automaton over the ten ASCII digits, for matching digit strings in a few
// nanoseconds a digit instead of running the regexp engine.
//
// It serves the libphonenumber metadata patterns, which describe national
// numbers: strings of digits. A DFA answers exactly what Go's regexp answers
// for the same pattern on digit-only input, because both decide membership
// in the same regular language; only the cost differs. Compile refuses a
// pattern it cannot turn into such an automaton (assertions such as ^ or \b
// inside the pattern, or more states than MaxStates), and the caller keeps
// using regexp for it.
package digitre

import (
	"errors"
	"regexp/syntax"
	"slices"
)

// MaxStates bounds the size of a DFA. The metadata's patterns need a few
// dozen to a few hundred states.
const MaxStates = 1 << 14

// ErrUnsupported is returned by Compile for a pattern with empty-width
// assertions or one that needs more than MaxStates states.
var ErrUnsupported = errors.New("digitre: pattern not supported")

const dead = 0 // the state with no way to a match

// DFA is a deterministic automaton over the digits 0-9. It is immutable and
// safe for concurrent use.
type DFA struct {
	next   [][10]uint32 // next[state][digit]; state 0 is dead
	accept []bool
	start  uint32
}

// Compile returns the DFA of pattern, in Go's regexp syntax (Perl flags).
func Compile(pattern string) (*DFA, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, err
	}
	for i := range prog.Inst {
		if prog.Inst[i].Op == syntax.InstEmptyWidth {
			return nil, ErrUnsupported
		}
	}

	// closure adds pc and everything reachable from it without reading a
	// character to set, keeping only the instructions that read or match.
	var closure func(set []uint32, pc uint32, seen []bool) []uint32
	closure = func(set []uint32, pc uint32, seen []bool) []uint32 {
		if seen[pc] {
			return set
		}
		seen[pc] = true
		in := &prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			set = closure(set, in.Out, seen)
			return closure(set, in.Arg, seen)
		case syntax.InstCapture, syntax.InstNop:
			return closure(set, in.Out, seen)
		case syntax.InstFail:
			return set
		}
		return append(set, pc) // a rune instruction or InstMatch
	}

	d := &DFA{next: [][10]uint32{{}}, accept: []bool{false}}
	index := map[string]uint32{}
	key := func(set []uint32) string {
		b := make([]byte, 0, 4*len(set))
		for _, pc := range set {
			b = append(b, byte(pc), byte(pc>>8), byte(pc>>16), byte(pc>>24))
		}
		return string(b)
	}
	var queue [][]uint32
	add := func(set []uint32) (uint32, error) {
		if len(set) == 0 {
			return dead, nil
		}
		slices.Sort(set)
		set = slices.Compact(set)
		k := key(set)
		if s, ok := index[k]; ok {
			return s, nil
		}
		if len(d.next) >= MaxStates {
			return 0, ErrUnsupported
		}
		s := uint32(len(d.next))
		index[k] = s
		d.next = append(d.next, [10]uint32{})
		acc := false
		for _, pc := range set {
			if prog.Inst[pc].Op == syntax.InstMatch {
				acc = true
			}
		}
		d.accept = append(d.accept, acc)
		queue = append(queue, set)
		return s, nil
	}

	start, err := add(closure(nil, uint32(prog.Start), make([]bool, len(prog.Inst))))
	if err != nil {
		return nil, err
	}
	d.start = start
	for s := uint32(1); len(queue) > 0; s++ {
		set := queue[0]
		queue = queue[1:]
		for digit := range 10 {
			var next []uint32
			seen := make([]bool, len(prog.Inst))
			for _, pc := range set {
				in := &prog.Inst[pc]
				if matchDigit(in, '0'+rune(digit)) {
					next = closure(next, in.Out, seen)
				}
			}
			t, err := add(next)
			if err != nil {
				return nil, err
			}
			d.next[s][digit] = t
		}
	}
	return d, nil
}

// Match reports whether the whole of digits is in the pattern's language,
// as regexp.MustCompile(`^(?:` + pattern + `)$`).Match(digits) would. A
// byte that is not an ASCII digit makes it false.
func (d *DFA) Match(digits []byte) bool {
	s := d.start
	for _, c := range digits {
		c -= '0'
		if c > 9 {
			return false
		}
		if s = d.next[s][c]; s == dead {
			return false
		}
	}
	return d.accept[s]
}

// MatchPrefix reports whether some prefix of digits (perhaps empty) is in
// the pattern's language, as regexp.MustCompile(`^(?:` + pattern +
// `)`).Match(digits) would.
func (d *DFA) MatchPrefix(digits []byte) bool {
	s := d.start
	for _, c := range digits {
		if d.accept[s] {
			return true
		}
		c -= '0'
		if c > 9 {
			return false
		}
		if s = d.next[s][c]; s == dead {
			return false
		}
	}
	return d.accept[s]
}

// MatchesEmpty reports whether the empty string is in the language.
func (d *DFA) MatchesEmpty() bool { return d.accept[d.start] }

// States returns the number of states, the dead state included.
func (d *DFA) States() int { return len(d.next) }

// matchDigit reports whether the reading instruction in consumes r.
func matchDigit(in *syntax.Inst, r rune) bool {
	switch in.Op {
	case syntax.InstRune, syntax.InstRune1:
		return in.MatchRune(r)
	case syntax.InstRuneAny:
		return true
	case syntax.InstRuneAnyNotNL:
		return r != '\n'
	}
	return false
}

// MaxLen returns the length of the longest string pattern can match, or -1
// if there is no bound or the pattern has assertions (such as ^, $ or \b),
// whose meaning depends on the rest of the input.
func MaxLen(pattern string) int {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return -1
	}
	return maxLen(re)
}

func maxLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpNoMatch, syntax.OpEmptyMatch:
		return 0
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return maxLen(re.Sub[0])
	case syntax.OpRepeat:
		m := maxLen(re.Sub[0])
		if re.Max < 0 || m < 0 {
			return -1
		}
		return m * re.Max
	case syntax.OpConcat, syntax.OpAlternate:
		total := 0
		for _, sub := range re.Sub {
			m := maxLen(sub)
			if m < 0 {
				return -1
			}
			if re.Op == syntax.OpConcat {
				total += m
			} else {
				total = max(total, m)
			}
		}
		return total
	}
	return -1 // star, plus, assertions
}
