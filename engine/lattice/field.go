// Package lattice holds real fields on the two-dimensional periodic square
// lattice and the statistics computed from them.
//
// Layout (spec §0): a field on Λ_L = (ℤ/Lℤ)² is a []float64 of length L², with
// site x = (x₁, x₂) — x₁ the row (slow axis), x₂ the column (fast axis) — at
// index x₁·L + x₂, the layout of a NumPy C-order (L, L) array. A stack of n
// fields is n consecutive blocks, like an (n, L, L) array.
package lattice

import "fmt"

// Field is an L×L real field with periodic boundary conditions.
// Data has length L², row-major; L is also the row stride.
type Field struct {
	L    int
	Data []float64
}

// NewField returns a zero field of side L. It panics if L < 1.
func NewField(L int) Field {
	if L < 1 {
		panic(fmt.Sprintf("lattice: field side %d < 1", L))
	}
	return Field{L: L, Data: make([]float64, L*L)}
}

// FieldOf wraps data (length L², row-major) as a field without copying.
// It panics if the length is not a perfect square of L.
func FieldOf(L int, data []float64) Field {
	if L < 1 || len(data) != L*L {
		panic(fmt.Sprintf("lattice: data of length %d is not %d×%d", len(data), L, L))
	}
	return Field{L: L, Data: data}
}

// Index returns the flat index of site (x1, x2), wrapped periodically.
func (f Field) Index(x1, x2 int) int {
	return wrap(x1, f.L)*f.L + wrap(x2, f.L)
}

// At returns φ(x1, x2) with periodic wrapping of both coordinates.
func (f Field) At(x1, x2 int) float64 { return f.Data[f.Index(x1, x2)] }

// Set sets φ(x1, x2) = v with periodic wrapping.
func (f Field) Set(x1, x2 int, v float64) { f.Data[f.Index(x1, x2)] = v }

// Clone returns a deep copy of f.
func (f Field) Clone() Field {
	return Field{L: f.L, Data: append([]float64(nil), f.Data...)}
}

func wrap(i, n int) int {
	i %= n
	if i < 0 {
		i += n
	}
	return i
}

// Stack is n fields of the same side L in one contiguous slice, laid out like
// a C-order (n, L, L) array: field i occupies Data[i·L² : (i+1)·L²].
type Stack struct {
	N, L int
	Data []float64
}

// NewStack returns a stack of n zero fields of side L. It panics if n < 0 or L < 1.
func NewStack(n, L int) Stack {
	if n < 0 || L < 1 {
		panic(fmt.Sprintf("lattice: stack of %d fields of side %d", n, L))
	}
	return Stack{N: n, L: L, Data: make([]float64, n*L*L)}
}

// StackOf wraps data (length n·L²) as a stack without copying.
func StackOf(n, L int, data []float64) Stack {
	if n < 0 || L < 1 || len(data) != n*L*L {
		panic(fmt.Sprintf("lattice: data of length %d is not %d×%d×%d", len(data), n, L, L))
	}
	return Stack{N: n, L: L, Data: data}
}

// Field returns field i as a view sharing the stack's storage.
func (s Stack) Field(i int) Field {
	if i < 0 || i >= s.N {
		panic(fmt.Sprintf("lattice: field %d out of range [0, %d)", i, s.N))
	}
	n := s.L * s.L
	return Field{L: s.L, Data: s.Data[i*n : (i+1)*n : (i+1)*n]}
}

// Slice returns fields [i, j) as a view sharing the stack's storage.
func (s Stack) Slice(i, j int) Stack {
	if i < 0 || j < i || j > s.N {
		panic(fmt.Sprintf("lattice: slice [%d, %d) out of range [0, %d]", i, j, s.N))
	}
	n := s.L * s.L
	return Stack{N: j - i, L: s.L, Data: s.Data[i*n : j*n : j*n]}
}

// Sites returns L², the number of sites of each field.
func (s Stack) Sites() int { return s.L * s.L }

// Neighbours returns the rows above and below row r and the columns left
// and right of column c on the periodic L×L lattice (small enough to be
// inlined into sampler loops).
func Neighbours(r, c, L int) (up, down, left, right int) {
	up, down, left, right = r-1, r+1, c-1, c+1
	if up < 0 {
		up = L - 1
	}
	if down == L {
		down = 0
	}
	if left < 0 {
		left = L - 1
	}
	if right == L {
		right = 0
	}
	return up, down, left, right
}
