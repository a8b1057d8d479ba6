package phi4

import (
	"context"
	"fmt"
	"github.com/wcrglab/wcrg/engine/pcg"
	"math"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// ClusterSettings configures the cluster hybrid sampler. Zero values select
// the defaults.
type ClusterSettings struct {
	Metropolis MetropolisSettings // the local part; its Seed is ignored (Seed below is used)
	Seed       uint64
	// ClustersPerSweep fixes the number of Wolff clusters flipped per sweep.
	// 0 (the default) lets Thermalize choose it so that about
	// SiteFraction·L² sites are flipped per sweep on average.
	ClustersPerSweep int
	SiteFraction     float64 // default 1
}

// Validate checks the settings.
func (s ClusterSettings) Validate() error {
	if err := s.Metropolis.Validate(); err != nil {
		return err
	}
	if s.ClustersPerSweep < 0 {
		return fmt.Errorf("phi4: clusters per sweep %d < 0", s.ClustersPerSweep)
	}
	if !(s.SiteFraction >= 0 && s.SiteFraction <= 100) {
		return fmt.Errorf("phi4: cluster site fraction %g is not in [0, 100]", s.SiteFraction)
	}
	return nil
}

// Cluster is the embedded-Ising cluster hybrid of Brower and Tamayo (Phys.
// Rev. Lett. 62, 1087, 1989) with single-cluster (Wolff) updates. One sweep
// is one checkerboard Metropolis sweep followed by a fixed number n_c of
// Wolff cluster flips.
//
// Embedding (derived): write φ_x = s_x|φ_x| with s_x = sign φ_x. The potential
// is even, so at fixed |φ| the energy is that of an Ising model,
// −Σ_<xy> K_xy s_x s_y + const, with K_xy = J|φ_xφ_y| (J = β for the β form,
// 2κ for the κ/λ form, 1 for the Gaussian). A Wolff cluster grows from a
// random site over bonds to aligned neighbours (φ_xφ_y > 0) with
// probability p = 1 − e^{−2K_xy} = 1 − e^{−2Jφ_xφ_y} and is flipped, φ → −φ.
// This satisfies detailed balance for the Ising model at fixed |φ|, hence for
// the field (Brower–Tamayo); the Metropolis sweeps change |φ| and make the
// chain ergodic. Bond tests use 32-bit uniforms (resolution 2⁻³², as in the
// Metropolis test) against the exact exponential.
//
// n_c must not depend on the current state for the composite update to be
// exact, so it is fixed: during Thermalize clusters are flipped until about
// SiteFraction·L² sites have been flipped in each sweep, and at the end n_c
// is frozen to round(SiteFraction·L²/⟨|C|⟩), ⟨|C|⟩ the mean cluster size over
// the second half of the thermalization. Before any thermalization n_c = 1.
type Cluster struct {
	model Model
	form  LocalForm
	set   ClusterSettings
	metro *Metropolis
	nc    int

	rng   rng
	mark  []uint32 // mark[x] == stamp: x is in the current cluster
	stamp uint32
	queue []uint32 // cluster sites as row<<16 | column

	sweeps       int
	clusters     int64 // clusters flipped since the last call started
	clusterSites int64 // sites in them
}

// NewCluster returns a cluster hybrid sampler for m. The model's coupling J
// must be ≥ 0 (ferromagnetic).
func NewCluster(m Model, s ClusterSettings) (*Cluster, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	form := m.Form()
	if form.J < 0 {
		return nil, fmt.Errorf("phi4: cluster updates need a ferromagnetic coupling (J=%g < 0)", form.J)
	}
	if s.SiteFraction == 0 {
		s.SiteFraction = 1
	}
	ms := s.Metropolis
	ms.Seed = s.Seed
	metro, err := NewMetropolis(m, ms)
	if err != nil {
		return nil, err
	}
	n := form.L * form.L
	c := &Cluster{model: m, form: form, set: s, metro: metro, nc: max(1, s.ClustersPerSweep),
		rng: newStream(s.Seed, streamCluster, 0), mark: make([]uint32, n), queue: make([]uint32, n+4)}
	return c, nil
}

// Model returns the sampled model.
func (c *Cluster) Model() Model { return c.model }

// ClustersPerSweep returns the current number of cluster flips per sweep.
func (c *Cluster) ClustersPerSweep() int { return c.nc }

// Stats returns the Metropolis acceptance, δ, n_c and the mean cluster size
// of the last call.
func (c *Cluster) Stats() Stats {
	st := c.metro.Stats()
	st.Sweeps = c.sweeps
	st.Seed = c.set.Seed
	st.Clusters = c.nc
	if c.clusters > 0 {
		st.MeanClusterSize = float64(c.clusterSites) / float64(c.clusters)
	}
	return st
}

// Thermalize runs sweeps hybrid sweeps while tuning δ and n_c, then freezes
// both.
func (c *Cluster) Thermalize(ctx context.Context, f lattice.Field, sweeps int, observe Observer) error {
	return c.call(ctx, f, sweeps, observe, true)
}

// Run runs sweeps hybrid sweeps with fixed δ and n_c.
func (c *Cluster) Run(ctx context.Context, f lattice.Field, sweeps int, observe Observer) error {
	return c.call(ctx, f, sweeps, observe, false)
}

func (c *Cluster) call(ctx context.Context, f lattice.Field, sweeps int, observe Observer, tune bool) error {
	if err := checkField(c.model, f, sweeps); err != nil {
		return err
	}
	mp := c.metro
	mp.begin(f)
	defer mp.end()
	c.clusters, c.clusterSites = 0, 0
	var mt metroTuner
	phase := Sampling
	if tune {
		phase = Thermalizing
		mt = newMetroTuner(sweeps)
	}
	target := c.set.SiteFraction * float64(len(f.Data))
	var tuneSites, tuneClusters int64
	return loop(ctx, f, sweeps, phase, observe,
		func(i int) {
			a := mp.sweep()
			if tune {
				mp.delta = mt.update(i, mp.delta, a, mp.set.TargetAcceptance)
			}
			sites, n := 0, 0
			if tune && c.set.ClustersPerSweep == 0 {
				for float64(sites) < target {
					sites += c.flip(f.Data)
					n++
				}
				if i >= sweeps/2 {
					tuneSites += int64(sites)
					tuneClusters += int64(n)
				}
				if i == sweeps-1 && tuneClusters > 0 {
					mean := float64(tuneSites) / float64(tuneClusters)
					c.nc = max(1, int(math.Round(target/mean)))
				}
			} else {
				for n = 0; n < c.nc; n++ {
					sites += c.flip(f.Data)
				}
			}
			c.clusters += int64(n)
			c.clusterSites += int64(sites)
			c.sweeps++
		},
		func(p *Progress) {
			p.Acceptance, p.Step, p.Clusters = mp.Stats().Acceptance, mp.delta, c.nc
		})
}

// flip grows one Wolff cluster of the embedded Ising spins from a uniformly
// chosen site, flips it and returns its size.
func (c *Cluster) flip(phi []float64) int {
	L := c.form.L
	n := L * L
	c.stamp++
	if c.stamp == 0 { // wrapped: clear the marks
		clear(c.mark)
		c.stamp = 1
	}
	stamp := c.stamp
	mark, queue := c.mark[:n], c.queue[:n+4]
	// The queue holds sites as row<<16 | column, so that neighbours need no
	// division (L ≤ 2¹⁴). The growth is branch-free except for rare exact
	// evaluations of the bond probability: the outcomes of the mark, sign
	// and bond tests are coin flips that a branch predictor cannot learn.
	seed := c.rng.Below(n)
	mark[seed] = stamp
	queue[0] = uint32(seed/L)<<16 | uint32(seed%L)
	size := 1
	twoJ := 2 * c.form.J
	hi, lo := c.rng.Hi, c.rng.Lo
	for q := 0; q < size; q++ {
		e := queue[q]
		r, col := int(e>>16), int(e&0xffff)
		vx := phi[r*L+col]
		ru, rd, cl, cr := lattice.Neighbours(r, col, L)
		// Four 32-bit uniforms from two draws, one per neighbour.
		var w1, w2 uint64
		hi, lo, w1 = pcg.Step(hi, lo)
		hi, lo, w2 = pcg.Step(hi, lo)
		ys := [4]int{ru*L + col, rd*L + col, r*L + cl, r*L + cr}
		es := [4]uint32{uint32(ru)<<16 | uint32(col), uint32(rd)<<16 | uint32(col), uint32(r)<<16 | uint32(cl), uint32(r)<<16 | uint32(cr)}
		us := [4]uint32{uint32(w1), uint32(w1 >> 32), uint32(w2), uint32(w2 >> 32)}
		for k := range 4 {
			y := ys[k]
			mk := mark[y]
			prod := vx * phi[y]
			// Eligible: not yet in the cluster and aligned (φ_xφ_y > 0).
			elig := b2i(prod > 0) & b2i(mk != stamp)
			// Bond with probability 1 − e^{−2Jφ_xφ_y}: with v = 1 − u ∈ (0, 1],
			// bond iff v > e^{−2Jφ_xφ_y}; bounds lo ≤ e^{−x} ≤ 1/z decide
			// unless lo ≤ v ≤ 1/z.
			x := twoJ * prod
			v := 1 - float64(us[k])*0x1p-32
			lb, z := acceptBounds(x)
			bond := v*z > 1
			if (v-lb)*(v*z-1) <= 0 && elig != 0 {
				bond = v > expNonPos(-x)
			}
			add := elig & b2i(bond)
			mark[y] = mk ^ (mk^stamp)&-uint32(add)
			queue[size] = es[k] // a free slot (the queue has 4 spare)
			size += int(add)
		}
	}
	c.rng.Hi, c.rng.Lo = hi, lo
	for _, e := range queue[:size] {
		x := int(e>>16)*L + int(e&0xffff)
		phi[x] = -phi[x]
	}
	return size
}
