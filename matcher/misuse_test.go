package matcher

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/audiencematch/audiencematch/normalize"
)

// misuseFixture is a small base, as a Base, a List and an Index, and the
// list that matches it.
type misuseFixture struct {
	users []User
	list  []Entry
	base  *Base
	l     *List
	ix    *Index
	dir   string
}

func newMisuseFixture(t *testing.T) *misuseFixture {
	f := &misuseFixture{dir: t.TempDir()}
	f.users = take(endlessUsers, 3000)
	f.users = append(f.users, User{Line: 1, ID: "bad", Phone: "not a phone"})
	f.list = take(endlessList, 3000)
	f.list = append(f.list, Entry{Line: 1, Phone: "not a phone"})
	f.base = build(t, slices.Values(f.users), nil)
	var err error
	if f.l, err = BuildList(context.Background(), slices.Values(f.list), nil, nil); err != nil {
		t.Fatal(err)
	}
	if f.ix, err = OpenIndex(writeIndex(t, f.users, nil)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.ix.Close() })
	return f
}

func discard(Match) error { return nil }

// TestCalls_NilArguments: a nil argument a call needs is an error
// wrapping ErrNilArgument, not a panic on one of its goroutines; a nil
// Consent or onReject is allowed.
func TestCalls_NilArguments(t *testing.T) {
	f := newMisuseFixture(t)
	ctx := context.Background()
	var nilBase *Base
	var nilList *List
	var nilIndex *Index
	tests := []struct {
		name string
		call func() error
		nil  bool // want ErrNilArgument; else nil
	}{
		{"BuildBase/users", func() error { _, err := BuildBase(ctx, nil, nil, nil); return err }, true},
		{"BuildList/list", func() error { _, err := BuildList(ctx, nil, nil, nil); return err }, true},
		{"WriteIndex/users", func() error {
			_, err := WriteIndex(ctx, filepath.Join(f.dir, "x.idx"), nil, nil, nil)
			return err
		}, true},
		{"Base.Match/list", func() error { _, err := f.base.Match(ctx, nil, nil, discard, nil); return err }, true},
		{"Base.Match/yield", func() error { _, err := f.base.Match(ctx, slices.Values(f.list), nil, nil, nil); return err }, true},
		{"Base.Match/receiver", func() error { _, err := nilBase.Match(ctx, slices.Values(f.list), nil, discard, nil); return err }, true},
		{"List.Match/users", func() error { _, err := f.l.Match(ctx, nil, nil, discard, nil); return err }, true},
		{"List.Match/yield", func() error { _, err := f.l.Match(ctx, slices.Values(f.users), nil, nil, nil); return err }, true},
		{"List.Match/receiver", func() error { _, err := nilList.Match(ctx, slices.Values(f.users), nil, discard, nil); return err }, true},
		{"Index.Match/list", func() error { _, err := f.ix.Match(ctx, nil, nil, nil, discard, nil); return err }, true},
		{"Index.Match/yield", func() error { _, err := f.ix.Match(ctx, slices.Values(f.list), nil, nil, nil, nil); return err }, true},
		{"Index.Match/receiver", func() error {
			_, err := nilIndex.Match(ctx, slices.Values(f.list), nil, nil, discard, nil)
			return err
		}, true},
		// Allowed: a nil Consent excludes no one, a nil onReject only
		// counts the rejects.
		{"BuildBase/onReject", func() error { _, err := BuildBase(ctx, slices.Values(f.users), nil, nil); return err }, false},
		{"BuildList/onReject", func() error { _, err := BuildList(ctx, slices.Values(f.list), nil, nil); return err }, false},
		{"WriteIndex/onReject", func() error {
			_, err := WriteIndex(ctx, filepath.Join(f.dir, "y.idx"), slices.Values(f.users), nil, nil)
			return err
		}, false},
		{"Base.Match/consent,onReject", func() error {
			_, err := f.base.Match(ctx, slices.Values(f.list), nil, discard, nil)
			return err
		}, false},
		{"List.Match/consent,onReject", func() error {
			_, err := f.l.Match(ctx, slices.Values(f.users), nil, discard, nil)
			return err
		}, false},
		{"Index.Match/consent,onReject", func() error {
			_, err := f.ix.Match(ctx, slices.Values(f.list), nil, nil, discard, nil)
			return err
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.nil && !errors.Is(err, ErrNilArgument) || !tt.nil && err != nil {
				t.Errorf("err = %v, want ErrNilArgument: %v", err, tt.nil)
			}
		})
	}
}

// excludesPanics is a Consent that panics.
type excludesPanics struct{ v any }

func (c excludesPanics) Excludes(string) bool { panic(c.v) }

// panicky returns the sequence s that panics with v after n items.
func panicky[T any](s []T, n int, v any) iter.Seq[T] {
	return func(yield func(T) bool) {
		for i, x := range s {
			if i == n {
				panic(v)
			}
			if !yield(x) {
				return
			}
		}
	}
}

// TestCalls_Panics: a panic of a caller's callback, on whichever of a
// call's goroutines it runs, is returned as a *PanicError with its value
// and stack, and the process goes on.
func TestCalls_Panics(t *testing.T) {
	f := newMisuseFixture(t)
	ctx := context.Background()
	errBoom := errors.New("boom")
	boom := func(v any) func() { return func() { panic(v) } }
	tests := []struct {
		name  string
		value any
		call  func(v any) error
	}{
		{"BuildBase/users", "users broke", func(v any) error {
			_, err := BuildBase(ctx, panicky(f.users, 2500, v), nil, nil)
			return err
		}},
		{"BuildBase/onReject", errBoom, func(v any) error {
			_, err := BuildBase(ctx, slices.Values(f.users), nil, func(Reject) { boom(v)() })
			return err
		}},
		{"BuildList/list", 42, func(v any) error {
			_, err := BuildList(ctx, panicky(f.list, 10, v), nil, nil)
			return err
		}},
		{"BuildList/onReject", "onReject broke", func(v any) error {
			_, err := BuildList(ctx, slices.Values(f.list), nil, func(Reject) { boom(v)() })
			return err
		}},
		{"BuildList/OnAccept", "OnAccept broke", func(v any) error {
			_, err := BuildList(ctx, slices.Values(f.list), &Options{OnAccept: func(*[32]byte) { boom(v)() }}, nil)
			return err
		}},
		{"WriteIndex/onReject", errBoom, func(v any) error {
			_, err := WriteIndex(ctx, filepath.Join(f.dir, "p.idx"), slices.Values(f.users), nil, func(Reject) { boom(v)() })
			return err
		}},
		{"Base.Match/list", "list broke", func(v any) error {
			_, err := f.base.Match(ctx, panicky(f.list, 2000, v), nil, discard, nil)
			return err
		}},
		{"Base.Match/consent", errBoom, func(v any) error {
			_, err := f.base.Match(ctx, slices.Values(f.list), excludesPanics{v}, discard, nil)
			return err
		}},
		{"Base.Match/yield", "yield broke", func(v any) error {
			_, err := f.base.Match(ctx, slices.Values(f.list), nil, func(Match) error { panic(v) }, nil)
			return err
		}},
		{"Base.Match/onReject", "onReject broke", func(v any) error {
			_, err := f.base.Match(ctx, slices.Values(f.list), nil, discard, func(Reject) { boom(v)() })
			return err
		}},
		{"Base.Match/OnAccept", "OnAccept broke", func(v any) error {
			b := build(t, slices.Values(f.users), &Options{OnAccept: func(*[32]byte) { boom(v)() }})
			_, err := b.Match(ctx, slices.Values(f.list), nil, discard, nil)
			return err
		}},
		{"List.Match/users", "users broke", func(v any) error {
			_, err := f.l.Match(ctx, panicky(f.users, 1500, v), nil, discard, nil)
			return err
		}},
		{"List.Match/consent", errBoom, func(v any) error {
			_, err := f.l.Match(ctx, slices.Values(f.users), excludesPanics{v}, discard, nil)
			return err
		}},
		{"List.Match/yield", "yield broke", func(v any) error {
			_, err := f.l.Match(ctx, slices.Values(f.users), nil, func(Match) error { panic(v) }, nil)
			return err
		}},
		{"List.Match/onUserReject", "onReject broke", func(v any) error {
			_, err := f.l.Match(ctx, slices.Values(f.users), nil, discard, func(Reject) { boom(v)() })
			return err
		}},
		{"Index.Match/consent", errBoom, func(v any) error {
			_, err := f.ix.Match(ctx, slices.Values(f.list), nil, excludesPanics{v}, discard, nil)
			return err
		}},
		{"Index.Match/yield", "yield broke", func(v any) error {
			_, err := f.ix.Match(ctx, slices.Values(f.list), nil, nil, func(Match) error { panic(v) }, nil)
			return err
		}},
		{"Index.Match/OnAccept", "OnAccept broke", func(v any) error {
			_, err := f.ix.Match(ctx, slices.Values(f.list), &Options{OnAccept: func(*[32]byte) { boom(v)() }}, nil, discard, nil)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(tt.value)
			p, ok := errors.AsType[*PanicError](err)
			if !ok {
				t.Fatalf("err = %v, want a *PanicError", err)
			}
			if p.Value != tt.value || !strings.Contains(err.Error(), fmt.Sprint(tt.value)) {
				t.Errorf("value %v, message %q; want %v", p.Value, err, tt.value)
			}
			if !strings.Contains(string(p.Stack), "misuse_test.go") {
				t.Errorf("the stack does not show the callback:\n%s", p.Stack)
			}
			if e, ok := tt.value.(error); ok && !errors.Is(err, e) {
				t.Errorf("errors.Is(err, %v) = false", e)
			}
		})
	}
	if ents, _ := os.ReadDir(f.dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

// TestOptions_Invalid: every call that takes Options refuses values out of
// their range with an error wrapping ErrBadOptions, naming the field.
func TestOptions_Invalid(t *testing.T) {
	f := newMisuseFixture(t)
	ctx := context.Background()
	calls := map[string]func(*Options) error{
		"BuildBase": func(o *Options) error { _, err := BuildBase(ctx, slices.Values(f.users), o, nil); return err },
		"BuildList": func(o *Options) error { _, err := BuildList(ctx, slices.Values(f.list), o, nil); return err },
		"WriteIndex": func(o *Options) error {
			_, err := WriteIndex(ctx, filepath.Join(f.dir, "o.idx"), slices.Values(f.users), o, nil)
			return err
		},
		"Index.Match": func(o *Options) error {
			_, err := f.ix.Match(ctx, slices.Values(f.list), o, nil, discard, nil)
			return err
		},
	}
	tests := []struct {
		name  string
		o     Options
		field string // "" for valid options
		also  error  // a sentinel of package normalize the error wraps too
	}{
		{"defaults", Options{}, "", nil},
		{"workers 1", Options{Workers: 1}, "", nil},
		{"workers max", Options{Workers: MaxWorkers}, "", nil},
		{"workers negative", Options{Workers: -1}, "Workers", nil},
		{"workers above max", Options{Workers: MaxWorkers + 1}, "Workers", nil},
		{"workers huge", Options{Workers: 1 << 40}, "Workers", nil},
		{"prefilter none", Options{Prefilter: PrefilterNone}, "", nil},
		{"prefilter unknown", Options{Prefilter: PrefilterNone + 1}, "Prefilter", nil},
		{"prefilter negative", Options{Prefilter: Prefilter(255)}, "Prefilter", nil}, // -1 converted
		{"format unknown", Options{Format: normalize.UID2 + 1}, "Format", normalize.ErrUnknownFormat},
		{"format negative", Options{Format: normalize.Format(255)}, "Format", normalize.ErrUnknownFormat},
		{"region unknown", Options{Region: "XX"}, "Region", normalize.ErrUnknownRegion},
		{"size hint", Options{SizeHint: 1000}, "", nil},
		{"size hint negative", Options{SizeHint: -1}, "SizeHint", nil},
	}
	for name, call := range calls {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				err := call(&tt.o)
				switch {
				case tt.field == "" && err != nil:
					t.Errorf("err = %v, want nil", err)
				case tt.field != "" && (!errors.Is(err, ErrBadOptions) || !strings.Contains(fmt.Sprint(err), "Options."+tt.field)):
					t.Errorf("err = %v, want ErrBadOptions naming Options.%s", err, tt.field)
				case tt.also != nil && !errors.Is(err, tt.also):
					t.Errorf("err = %v, want it to wrap %v too", err, tt.also)
				}
			})
		}
	}
	if ents, _ := filepath.Glob(filepath.Join(f.dir, ".o.idx*")); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}
