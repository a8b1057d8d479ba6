package ising

import (
	"context"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/phi4"
)

// MakeDataset draws s.Samples decorrelated spin fields of m with alg through
// phi4.MakeChainDataset: s.Chains independent chains (one per core by
// default, chain c seeded with s.Seed + c) start hot, thermalize, measure
// τ_int of |m| and E/L² in a pilot run and store fields spaced by at least
// s.Spacing·τ_int sweeps. s.Algorithm is ignored (alg is used). Fields are
// handed to sink one at a time; see phi4.MakeChainDataset.
func MakeDataset(ctx context.Context, m Model, alg Algorithm, s phi4.DatasetSettings, sink func(lattice.Field) error, progress func(phi4.DatasetProgress)) (phi4.DatasetReport, error) {
	ens, err := Ensemble(m, alg)
	if err != nil {
		return phi4.DatasetReport{}, err
	}
	return phi4.MakeChainDataset(ctx, ens, s, sink, progress)
}

// MakeStack is MakeDataset collecting the fields in memory.
func MakeStack(ctx context.Context, m Model, alg Algorithm, s phi4.DatasetSettings, progress func(phi4.DatasetProgress)) (lattice.Stack, phi4.DatasetReport, error) {
	if err := m.Validate(); err != nil {
		return lattice.Stack{}, phi4.DatasetReport{}, err
	}
	st := lattice.NewStack(0, m.L)
	rep, err := MakeDataset(ctx, m, alg, s, func(f lattice.Field) error {
		st.Data = append(st.Data, f.Data...)
		st.N++
		return nil
	}, progress)
	return st, rep, err
}
