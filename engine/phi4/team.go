package phi4

import (
	"runtime"
	"sync/atomic"
)

// team runs one job at a time over the rows [0, rows), split into fixed
// chunks that the caller and its helper goroutines claim, and returns when
// every chunk is done (a fork–join barrier). Worker w starts with the chunks
// of its own share (rows stay in one core's cache from job to job) and then
// takes any chunk still unclaimed, so a helper that is slow to wake up delays
// nothing: the caller does its work. Chunks touch disjoint rows and every row
// uses its own random stream, so results do not depend on who runs which
// chunk.
//
// The helpers live for one Run or Thermalize call (start … stop), so none
// outlives a call; everything they use is allocated with the team, so that
// neither a sweep nor a call allocates. An idle helper spins on the job
// generation for a while before it parks on its channel.
type team struct {
	n       int // goroutines including the caller
	rows    int
	chunk   int             // rows per chunk
	claimed []atomic.Uint64 // generation in which each chunk was claimed
	job     func(lo, hi int)
	gen     atomic.Uint64 // job generation, 0 before the first job
	done    atomic.Int64  // chunks of the current job finished
	next    atomic.Int64  // worker indices handed to starting helpers
	quit    atomic.Bool
	park    []atomic.Bool // helper w is (about to be) parked on wake[w]
	wake    []chan struct{}
	exited  chan struct{}
	body    func() // the helper goroutine, allocated once
}

// spinLimit bounds the busy-wait iterations of an idle helper before it parks.
const spinLimit = 1 << 14

// newTeam returns a team of n goroutines (the caller and n−1 helpers) for
// jobs over rows rows in chunks of chunk rows.
func newTeam(n, rows, chunk int) *team {
	chunk = max(chunk, 1)
	nc := (rows + chunk - 1) / chunk
	n = max(1, min(n, nc))
	t := &team{n: n, rows: rows, chunk: chunk, claimed: make([]atomic.Uint64, nc),
		park: make([]atomic.Bool, n), wake: make([]chan struct{}, n), exited: make(chan struct{}, n)}
	for w := range t.wake {
		t.wake[w] = make(chan struct{}, 1)
	}
	t.body = func() { t.helper(int(t.next.Add(1))) }
	return t
}

// workers returns the number of goroutines.
func (t *team) workers() int { return t.n }

// start launches the helpers.
func (t *team) start() {
	if t.n == 1 {
		return
	}
	t.next.Store(0)
	t.quit.Store(false)
	for w := 1; w < t.n; w++ {
		go t.body()
	}
}

func (t *team) helper(w int) {
	seen := t.gen.Load()
	for {
		spins := 0
		for t.gen.Load() == seen && !t.quit.Load() {
			spins++
			if spins < spinLimit {
				if spins&255 == 0 {
					runtime.Gosched()
				}
				continue
			}
			// Park, unless a job or quit arrived meanwhile (then take the
			// flag back; if the caller took it first, it sends a token).
			t.park[w].Store(true)
			if t.gen.Load() != seen || t.quit.Load() {
				if t.park[w].CompareAndSwap(true, false) {
					break
				}
			}
			<-t.wake[w]
			spins = 0
		}
		if t.quit.Load() {
			t.exited <- struct{}{}
			return
		}
		seen = t.gen.Load()
		t.work(w, seen)
	}
}

// work runs the chunks of generation gen that are still unclaimed, starting
// with worker w's share. A helper that is late finds every chunk of its
// generation claimed (claimed[c] ≥ gen) and returns without running any.
func (t *team) work(w int, gen uint64) {
	nc := len(t.claimed)
	first := w * nc / t.n
	for i := 0; i < nc; i++ {
		c := first + i
		if c >= nc {
			c -= nc
		}
		v := t.claimed[c].Load()
		if v >= gen || !t.claimed[c].CompareAndSwap(v, gen) {
			continue
		}
		// The job cannot change before this chunk is reported done.
		lo := c * t.chunk
		t.job(lo, min(lo+t.chunk, t.rows))
		t.done.Add(1)
	}
}

// run calls job(lo, hi) on every chunk of rows, concurrently, and returns
// when all have returned.
func (t *team) run(job func(lo, hi int)) {
	if t.n == 1 {
		job(0, t.rows)
		return
	}
	t.job = job
	t.done.Store(0)
	gen := t.gen.Add(1) // publishes job
	t.wakeParked()
	t.work(0, gen)
	nc := int64(len(t.claimed))
	for spins := 0; t.done.Load() != nc; spins++ {
		if spins&255 == 255 {
			runtime.Gosched()
		}
	}
	t.job = nil
}

func (t *team) wakeParked() {
	for w := 1; w < t.n; w++ {
		if t.park[w].CompareAndSwap(true, false) {
			t.wake[w] <- struct{}{}
		}
	}
}

// stop ends the helpers and waits for them.
func (t *team) stop() {
	if t.n == 1 {
		return
	}
	t.quit.Store(true)
	t.wakeParked()
	for w := 1; w < t.n; w++ {
		<-t.exited
	}
}

// rowChunk returns a chunk size for splitting rows rows of L sites among n
// goroutines: about four chunks per goroutine, at least minSites sites each.
func rowChunk(rows, L, n, minSites int) int {
	c := max(1, rows/(4*n))
	for c*L < minSites && c < rows {
		c++
	}
	return c
}
