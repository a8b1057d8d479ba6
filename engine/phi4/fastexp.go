package phi4

import "math"

// expNonPos returns e^x for x ≤ 0, without branches, for the Metropolis
// acceptance test. x is clamped to [−700, 0], so positive x gives 1 and the
// result never underflows below 2^−1010. The algorithm is the one of the
// pure-Go math.Exp (FreeBSD's e_exp.c: reduction x = k ln2 + r, |r| ≤ ½ln2,
// and a degree-5 minimax rational form of e^r), accurate to about 1 ulp; on
// amd64 the standard library dispatches to an assembly routine that is
// several times slower in this loop.
func expNonPos(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		log2e = 1.44269504088896338700e+00
		p1    = 1.66666666666666657415e-01
		p2    = -2.77777777770155933842e-03
		p3    = 6.61375632143793436117e-05
		p4    = -1.65339022054652515390e-06
		p5    = 4.13813679705723846039e-08
	)
	x = min(max(x, -700), 0)
	k := int64(log2e*x - 0.5) // round half away from zero for x ≤ 0
	fk := float64(k)
	hi := x - fk*ln2Hi
	lo := fk * ln2Lo
	r := hi - lo
	t := r * r
	c := r - t*(p1+t*(p2+t*(p3+t*(p4+t*p5))))
	y := 1 - ((lo - (r*c)/(2-c)) - hi)
	return y * math.Float64frombits(uint64(k+1023)<<52)
}

// acceptMetropolis reports whether u < e^{−dE}, the Metropolis test with a
// uniform u ∈ [0, 1). It decides almost every case with the cheap bounds of
// acceptBounds and evaluates the exponential only when u falls between them
// (a few per cent of the proposals with dE > 0), so the decision is the same
// as u < exp(−dE).
func acceptMetropolis(u, dE float64) bool {
	lo, z := acceptBounds(dE)
	a := u < lo
	// Undecided iff lo ≤ u < 1/z: then (u − lo) ≥ 0 and (uz − 1) < 0. The
	// product form needs no unpredictable branch; it may also flag u = 1/z,
	// which only costs an exact evaluation.
	if (u-lo)*(u*z-1) <= 0 {
		a = u < expNonPos(-dE)
	}
	return a
}

// acceptBounds returns lo and z with lo ≤ e^{−dE} ≤ 1/z:
//
//	lo = max(1 − dE/16, 0)¹⁶,   z = (1 + dE/16)¹⁶,
//
// from (1 − x/n)ⁿ ≤ e^{−x} ≤ (1 + x/n)^{−n} for 0 ≤ x ≤ n. For dE < 0 the
// bounds are not bounds, but the test still decides correctly: lo > 1 > u
// accepts, except when dE < −32 makes z > 1/u as well; then the exact path
// runs and e^{min(−dE, 0)} = 1 > u accepts.
func acceptBounds(dE float64) (lo, z float64) {
	x := dE * (1.0 / 16)
	y := max(1-x, 0) // max compiles to branch-free code
	z = 1 + x
	y *= y
	z *= z
	y *= y
	z *= z
	y *= y
	z *= z
	y *= y
	z *= z
	return y, z
}
