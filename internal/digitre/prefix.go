package digitre

import (
	"regexp/syntax"
	"sync"
)

// Limits of a Prefix matcher, which works in fixed-size arrays so that a
// match allocates nothing.
const (
	MaxInput   = 32  // digits; longer input is refused by Match
	MaxCaps    = 20  // capture slots: 9 groups and the whole match
	maxJobs    = 512 // backtracking stack
	maxVisited = 64 << 10

	// smallVisited is the search's bitset kept on the stack; a larger one
	// comes from visitedPool, so that no search clears 8 KiB it does not use.
	smallVisited = 4096
)

var visitedPool = sync.Pool{New: func() any { return new([maxVisited / 64]uint64) }}

// Prefix finds the leftmost-first match of a pattern anchored at the start
// of a digit string, with its capture groups: what
// regexp.MustCompile(`^(?:` + pattern + `)`).FindSubmatchIndex gives, found
// by a backtracking search in priority order like the regexp package's own
// backtracker, without allocating. It is immutable and safe for concurrent
// use.
type Prefix struct {
	prog *syntax.Prog
	ncap int // capture slots, 2 × (groups + 1)
}

// CompilePrefix returns a Prefix matcher of pattern. It refuses patterns
// with more than 9 groups, with assertions other than ^ and $ (begin and
// end of text), or too large to search within its fixed arrays.
func CompilePrefix(pattern string) (*Prefix, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	ncap := 2 * (re.MaxCap() + 1)
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, err
	}
	if ncap > MaxCaps || len(prog.Inst)*(MaxInput+1) > maxVisited {
		return nil, ErrUnsupported
	}
	for i := range prog.Inst {
		in := &prog.Inst[i]
		if in.Op == syntax.InstEmptyWidth &&
			syntax.EmptyOp(in.Arg)&^(syntax.EmptyBeginText|syntax.EmptyEndText) != 0 {
			return nil, ErrUnsupported
		}
	}
	return &Prefix{prog: prog, ncap: ncap}, nil
}

// NumCaps returns the number of capture slots Match fills: two for the
// whole match and two for each group.
func (p *Prefix) NumCaps() int { return p.ncap }

// Match looks for the leftmost-first match at the start of in and fills
// caps[:NumCaps()] with its capture positions (-1 for a group that did not
// take part). ok is false if there is no match; done is false if the input
// or the search outgrew the fixed arrays, and the caller must ask regexp.
func (p *Prefix) Match(in []byte, caps *[MaxCaps]int) (ok, done bool) {
	if len(in) > MaxInput {
		return false, false
	}
	type job struct {
		pc      uint32
		pos     int32
		restore bool // restore caps[pc] to pos instead of running
	}
	var (
		small   [smallVisited / 64]uint64 // most searches fit: cleared cheaply
		visited = small[:]
		stack   [maxJobs]job
		sp      int
		width   = len(in) + 1
	)
	if bits := len(p.prog.Inst) * width; bits > smallVisited {
		big := visitedPool.Get().(*[maxVisited / 64]uint64)
		defer visitedPool.Put(big)
		visited = big[:(bits+63)/64]
		clear(visited)
	}
	for i := range caps[:p.ncap] {
		caps[i] = -1
	}
	stack[0] = job{pc: uint32(p.prog.Start)}
	sp = 1
	for sp > 0 {
		sp--
		j := stack[sp]
		if j.restore {
			caps[j.pc] = int(j.pos)
			continue
		}
		pc, pos := j.pc, int(j.pos)
	step:
		for {
			bit := int(pc)*width + pos
			if visited[bit/64]&(1<<(bit%64)) != 0 {
				break
			}
			visited[bit/64] |= 1 << (bit % 64)
			inst := &p.prog.Inst[pc]
			switch inst.Op {
			case syntax.InstAlt, syntax.InstAltMatch:
				if sp == len(stack) {
					return false, false
				}
				stack[sp] = job{pc: inst.Arg, pos: int32(pos)}
				sp++
				pc = inst.Out
			case syntax.InstCapture:
				if int(inst.Arg) < p.ncap {
					if sp == len(stack) {
						return false, false
					}
					stack[sp] = job{pc: inst.Arg, pos: int32(caps[inst.Arg]), restore: true}
					sp++
					caps[inst.Arg] = pos
				}
				pc = inst.Out
			case syntax.InstNop:
				pc = inst.Out
			case syntax.InstEmptyWidth:
				op := syntax.EmptyOp(inst.Arg)
				if op&syntax.EmptyBeginText != 0 && pos != 0 || op&syntax.EmptyEndText != 0 && pos != len(in) {
					break step
				}
				pc = inst.Out
			case syntax.InstMatch:
				caps[0], caps[1] = 0, pos // syntax.Compile leaves the whole match to its caller
				return true, true
			case syntax.InstFail:
				break step
			default:
				if pos >= len(in) || !matchDigit(inst, rune(in[pos])) {
					break step
				}
				pos++
				pc = inst.Out
			}
		}
	}
	return false, true
}
