package parallel

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The tests in this file do not call t.Parallel: they count goroutines.

// count yields 0, 1, … n-1, or without end if n < 0, and records how many
// items were pulled.
func count(n int, pulled *atomic.Int64) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; n < 0 || i < n; i++ {
			if pulled != nil {
				pulled.Add(1)
			}
			if !yield(i) {
				return
			}
		}
	}
}

// noLeak returns a function that fails t if more goroutines are running
// than when noLeak was called. A goroutine that has signalled its end may
// take a moment to exit, so it polls for a while.
func noLeak(t *testing.T) func() {
	before := runtime.NumGoroutine()
	return func() {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("%d goroutines still running, want at most %d:\n%s", n, before, buf)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// maxOf raises m to v.
func maxOf(m *atomic.Int64, v int64) {
	for {
		old := m.Load()
		if v <= old || m.CompareAndSwap(old, v) {
			return
		}
	}
}

func TestOrdered_Order(t *testing.T) {
	sizes := []int{0, 1, BatchSize - 1, BatchSize, BatchSize + 1, 10*BatchSize + 7}
	for _, workers := range []int{0, 1, 2, 8} {
		for _, n := range sizes {
			t.Run(fmt.Sprintf("workers=%d/n=%d", workers, n), func(t *testing.T) {
				defer noLeak(t)()
				maxWorkers := int64(workers)
				if workers == 0 {
					maxWorkers = int64(runtime.GOMAXPROCS(0))
				}
				var active, maxActive, sinking atomic.Int64
				var got []int
				var sizes []int
				work := func(b []int) {
					maxOf(&maxActive, active.Add(1))
					defer active.Add(-1)
					// Hold back some batches so that later ones finish first.
					if b[0]/BatchSize%3 == 0 {
						time.Sleep(time.Millisecond)
					}
					for i := range b {
						b[i] = 2*b[i] + 1
					}
				}
				sink := func(b []int) error {
					if sinking.Add(1) != 1 {
						t.Error("sink called concurrently")
					}
					defer sinking.Add(-1)
					sizes = append(sizes, len(b))
					got = append(got, b...)
					return nil
				}
				if err := Ordered(context.Background(), workers, count(n, nil), work, sink); err != nil {
					t.Fatalf("Ordered: %v, want nil", err)
				}
				if len(got) != n {
					t.Fatalf("sink got %d items, want %d", len(got), n)
				}
				for i, v := range got {
					if v != 2*i+1 {
						t.Fatalf("item %d = %d, want %d", i, v, 2*i+1)
					}
				}
				// Every batch is full but the last, which is not empty.
				for i, s := range sizes {
					if s == 0 || s > BatchSize || s < BatchSize && i != len(sizes)-1 {
						t.Fatalf("batch sizes %v, want %d each but the last", sizes, BatchSize)
					}
				}
				if m := maxActive.Load(); m > maxWorkers {
					t.Errorf("%d concurrent calls of work, want at most %d", m, maxWorkers)
				}
			})
		}
	}
}

// TestOrdered_Concurrent holds every call of work until as many are running
// as there are workers, so it passes only if they really run at once.
func TestOrdered_Concurrent(t *testing.T) {
	for _, workers := range []int{2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			var active, maxActive, arrived atomic.Int64
			all := make(chan struct{})
			timeout, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			work := func(b []int) {
				maxOf(&maxActive, active.Add(1))
				defer active.Add(-1)
				if arrived.Add(1) == int64(workers) {
					close(all)
				}
				select {
				case <-all:
				case <-timeout.Done():
					t.Errorf("only %d of %d calls of work running at once after 5s", arrived.Load(), workers)
				}
			}
			// One batch for each worker.
			n := workers * BatchSize
			sum := 0
			sink := func(b []int) error {
				for _, v := range b {
					sum += v
				}
				return nil
			}
			if err := Ordered(context.Background(), workers, count(n, nil), work, sink); err != nil {
				t.Fatalf("Ordered: %v, want nil", err)
			}
			if m := maxActive.Load(); m != int64(workers) {
				t.Errorf("%d concurrent calls of work, want %d", m, workers)
			}
			if want := n * (n - 1) / 2; sum != want {
				t.Errorf("sum of items %d, want %d", sum, want)
			}
		})
	}
}

func TestOrdered_SinkError(t *testing.T) {
	errStop := errors.New("stop")
	for _, workers := range []int{1, 2, 8} {
		for _, failAt := range []int{1, 3} {
			t.Run(fmt.Sprintf("workers=%d/fail_at=%d", workers, failAt), func(t *testing.T) {
				defer noLeak(t)()
				var pulled atomic.Int64
				calls := 0
				sink := func(b []int) error {
					calls++
					if calls == failAt {
						return errStop
					}
					return nil
				}
				// The source is all but endless: the pipeline must stop it.
				const limit = 1000 * BatchSize
				err := Ordered(context.Background(), workers, count(limit, &pulled), func([]int) {}, sink)
				if err != errStop {
					t.Fatalf("Ordered: %v, want %v", err, errStop)
				}
				if calls != failAt {
					t.Errorf("sink called %d times, want %d: not again after its error", calls, failAt)
				}
				// At most every batch in flight is filled once more after the
				// error, and one more item is pulled to find out.
				if p, most := pulled.Load(), int64((batchesPerWorker*workers+failAt)*BatchSize+1); p > most {
					t.Errorf("%d items pulled from src, want at most %d", p, most)
				}
			})
		}
	}
}

func TestOrdered_Cancel(t *testing.T) {
	tests := []struct {
		name    string
		n       int // items in src, < 0 for endless
		workers int
		want    error
		// start returns the context and callbacks; cancel is done by them.
		start func(t *testing.T) (context.Context, func([]int), func([]int) error)
	}{
		{
			name: "before_start", n: -1, workers: 4, want: context.Canceled,
			start: func(t *testing.T) (context.Context, func([]int), func([]int) error) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, func([]int) {}, func([]int) error {
					t.Error("sink called after cancel")
					return nil
				}
			},
		},
		{
			name: "in_sink", n: -1, workers: 4, want: context.Canceled,
			start: func(t *testing.T) (context.Context, func([]int), func([]int) error) {
				ctx, cancel := context.WithCancel(context.Background())
				calls := 0
				return ctx, func([]int) {}, func([]int) error {
					calls++
					if calls > 2 {
						t.Error("sink called after cancel")
					}
					if calls == 2 {
						cancel()
					}
					return nil
				}
			},
		},
		{
			name: "in_work", n: -1, workers: 2, want: context.Canceled,
			start: func(t *testing.T) (context.Context, func([]int), func([]int) error) {
				ctx, cancel := context.WithCancel(context.Background())
				var batches atomic.Int64
				return ctx, func([]int) {
					if batches.Add(1) == 5 {
						cancel()
					}
				}, func([]int) error { return nil }
			},
		},
		{
			name: "from_outside", n: -1, workers: 8, want: context.Canceled,
			start: func(t *testing.T) (context.Context, func([]int), func([]int) error) {
				ctx, cancel := context.WithCancel(context.Background())
				calls := 0
				return ctx, func([]int) {}, func([]int) error {
					calls++
					if calls == 3 {
						go cancel()
					}
					return nil
				}
			},
		},
		{
			name: "deadline", n: -1, workers: 2, want: context.DeadlineExceeded,
			start: func(t *testing.T) (context.Context, func([]int), func([]int) error) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				t.Cleanup(cancel)
				return ctx, func([]int) { time.Sleep(100 * time.Microsecond) }, func([]int) error { return nil }
			},
		},
		{
			// src is read to its end before ctx is done, and items are
			// still waiting for sink: they are lost, so the error must say so.
			name: "after_src_ends", n: 2 * BatchSize, workers: 1, want: context.Canceled,
			start: func(t *testing.T) (context.Context, func([]int), func([]int) error) {
				ctx, cancel := context.WithCancel(context.Background())
				calls := 0
				return ctx, func([]int) {}, func([]int) error {
					calls++
					if calls == 1 {
						// Give the producer time to see the end of src.
						time.Sleep(20 * time.Millisecond)
						cancel()
					}
					return nil
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer noLeak(t)()
			var pulled atomic.Int64
			ctx, work, sink := tc.start(t)
			n := tc.n
			if n < 0 {
				n = 1000 * BatchSize
			}
			err := Ordered(ctx, tc.workers, count(n, &pulled), work, sink)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Ordered: %v, want %v", err, tc.want)
			}
			if err != ctx.Err() {
				t.Errorf("Ordered: %v, want ctx.Err() = %v", err, ctx.Err())
			}
			if tc.n < 0 && pulled.Load() == int64(n) {
				t.Errorf("src read to its end (%d items) after cancel", n)
			}
		})
	}
}

// TestOrdered_Large moves many items through many workers, for the race
// detector: work changes items in place and sink reads them while their
// batches are being reused.
func TestOrdered_Large(t *testing.T) {
	type item struct {
		n   int
		sum [32]byte
	}
	n := 300 * BatchSize
	if testing.Short() {
		n = 30 * BatchSize
	}
	src := func(yield func(item) bool) {
		for i := range n {
			if !yield(item{n: i}) {
				return
			}
		}
	}
	work := func(b []item) {
		var buf [8]byte
		for i := range b {
			binary.LittleEndian.PutUint64(buf[:], uint64(b[i].n))
			b[i].sum = sha256.Sum256(buf[:])
		}
	}
	next := 0
	sink := func(b []item) error {
		var buf [8]byte
		for _, it := range b {
			if it.n != next {
				return fmt.Errorf("item %d where %d was due", it.n, next)
			}
			binary.LittleEndian.PutUint64(buf[:], uint64(it.n))
			if it.sum != sha256.Sum256(buf[:]) {
				return fmt.Errorf("item %d: work not done", it.n)
			}
			next++
		}
		return nil
	}
	defer noLeak(t)()
	if err := Ordered(context.Background(), 8, src, work, sink); err != nil {
		t.Fatal(err)
	}
	if next != n {
		t.Fatalf("sink got %d items, want %d", next, n)
	}
}

func BenchmarkOrdered(b *testing.B) {
	const n = 64 * BatchSize
	work := func(items []uint64) {
		var buf [8]byte
		for i := range items {
			binary.LittleEndian.PutUint64(buf[:], items[i])
			s := sha256.Sum256(buf[:])
			items[i] = binary.LittleEndian.Uint64(s[:])
		}
	}
	var total uint64
	sink := func(items []uint64) error {
		for _, v := range items {
			total += v
		}
		return nil
	}
	src := func(yield func(uint64) bool) {
		for i := range uint64(n) {
			if !yield(i) {
				return
			}
		}
	}
	report := func(b *testing.B, runs int) {
		b.ReportMetric(float64(runs*n)/b.Elapsed().Seconds(), "items/s")
	}

	// The baseline: the same work in batches on the calling goroutine.
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		batch := make([]uint64, 0, BatchSize)
		runs := 0
		for b.Loop() {
			for v := range src {
				batch = append(batch, v)
				if len(batch) == BatchSize {
					work(batch)
					_ = sink(batch)
					batch = batch[:0]
				}
			}
			runs++
		}
		report(b, runs)
	})
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			runs := 0
			for b.Loop() {
				if err := Ordered(context.Background(), workers, src, work, sink); err != nil {
					b.Fatal(err)
				}
				runs++
			}
			report(b, runs)
		})
	}
}

// TestOrdered_Panic: a panic in src, work or sink is returned as a
// *PanicError with its value and stack, from whichever goroutine ran it;
// no batch reaches sink after it, and every goroutine has finished.
func TestOrdered_Panic(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		workers int
		value   any
		src     func(iter.Seq[int]) iter.Seq[int]
		work    func([]int)
		sink    func([]int) error
		frame   string // a function the stack must show
	}{
		{
			name: "src", workers: 2, value: "src broke",
			src: func(s iter.Seq[int]) iter.Seq[int] {
				return func(yield func(int) bool) {
					for i := range s {
						if i == 3*BatchSize+5 {
							panic("src broke")
						}
						if !yield(i) {
							return
						}
					}
				}
			},
			frame: "TestOrdered_Panic",
		},
		{
			name: "work", workers: 1, value: errBoom,
			work: func(b []int) {
				if b[0] == 4*BatchSize {
					panic(errBoom)
				}
			},
			frame: "TestOrdered_Panic",
		},
		{
			name: "work_many_workers", workers: 8, value: "work broke",
			work: func(b []int) {
				if b[0] >= 4*BatchSize {
					panic("work broke")
				}
			},
			frame: "TestOrdered_Panic",
		},
		{
			name: "sink", workers: 4, value: 42,
			sink: func(b []int) error {
				if b[0] == 4*BatchSize {
					var m map[int]int
					m[0] = 42 // a runtime panic: assignment to entry in nil map
				}
				return nil
			},
			frame: "TestOrdered_Panic",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer noLeak(t)()
			src := count(100*BatchSize, nil)
			if tc.src != nil {
				src = tc.src(src)
			}
			work := tc.work
			if work == nil {
				work = func([]int) {}
			}
			var sunk []int // the first item of each batch sunk
			sink := func(b []int) error {
				sunk = append(sunk, b[0])
				if tc.sink != nil {
					return tc.sink(b)
				}
				return nil
			}
			err := Ordered(context.Background(), tc.workers, src, work, sink)
			var p *PanicError
			if !errors.As(err, &p) {
				t.Fatalf("Ordered: %v, want a *PanicError", err)
			}
			if tc.name == "sink" {
				if s := fmt.Sprint(p.Value); !strings.Contains(s, "nil map") {
					t.Errorf("value %q, want the runtime's nil map error", s)
				}
			} else if p.Value != tc.value {
				t.Errorf("value %v, want %v", p.Value, tc.value)
			}
			if e, ok := tc.value.(error); ok && !errors.Is(err, e) {
				t.Errorf("errors.Is(%v, %v) = false", err, e)
			}
			if !strings.Contains(string(p.Stack), tc.frame) || !strings.Contains(err.Error(), tc.frame) {
				t.Errorf("stack does not show %s:\n%s", tc.frame, p.Stack)
			}
			// Batches 0 to 3 may be sunk; none from the panic on.
			for _, first := range sunk {
				if first >= 4*BatchSize && !(tc.name == "sink" && first == 4*BatchSize) {
					t.Errorf("batch from item %d sunk after the panic", first)
				}
			}
		})
	}
}

// TestOrdered_ShortInput: batches are made as they are needed, so a short
// input costs one batch, not every batch the workers could have in flight
// (1024 workers: 8192 batches, here 512 MiB).
func TestOrdered_ShortInput(t *testing.T) {
	type item [64]byte
	src := func(yield func(item) bool) {
		for range 10 {
			if !yield(item{}) {
				return
			}
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := 0
	err := Ordered(context.Background(), 1024, src, func([]item) {}, func(b []item) error { n += len(b); return nil })
	runtime.ReadMemStats(&after)
	if err != nil || n != 10 {
		t.Fatalf("Ordered: %v, %d items; want nil, 10", err, n)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("%d MiB allocated for 10 items, want less than 16", got>>20)
	}
}
