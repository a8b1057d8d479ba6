// Package parallel runs independent, indexed pieces of work on a fixed number
// of goroutines.
//
// The engine's convention (DESIGN.md) is that results never depend on the
// worker count: callers give each index its own output slot, or reduce
// per-index partial results in index order after For returns.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Workers returns n if n ≥ 1, and runtime.NumCPU() otherwise. It is the
// engine's rule for a settings field "Workers" left at zero.
func Workers(n int) int {
	if n >= 1 {
		return n
	}
	return runtime.NumCPU()
}

// For calls fn(worker, i) for every i in [0, n), on min(workers, n)
// goroutines. worker ∈ [0, workers) identifies the goroutine, so that fn can
// use per-worker scratch space. Indices are handed out dynamically; For
// returns when all calls have returned. With workers ≤ 1 it runs inline.
func For(n, workers int, fn func(worker, i int)) {
	if n <= 0 {
		return
	}
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(w, i)
			}
		}(w)
	}
	wg.Wait()
}

// Chunks splits [0, n) into consecutive chunks of at most size elements and
// returns the number of chunks and a function giving chunk c's bounds. Chunk
// boundaries depend only on n and size, so reductions over chunks in chunk
// order are reproducible for any worker count.
func Chunks(n, size int) (count int, bounds func(c int) (lo, hi int)) {
	if size < 1 {
		size = 1
	}
	count = (n + size - 1) / size
	return count, func(c int) (int, int) {
		lo := c * size
		return lo, min(lo+size, n)
	}
}
