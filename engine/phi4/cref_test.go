package phi4

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// cRefSource is the plain-C reference (a copy of the team's shared
// bench/phi4_metropolis.c); the tests that need it skip when a C compiler
// is missing.
const cRefSource = "cref/phi4_metropolis.c"

func needCReference(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(cRefSource); err != nil {
		t.Skipf("C reference not found: %v", err)
	}
	if _, err := exec.LookPath("cc"); err != nil && os.Getenv("CC") == "" {
		t.Skip("no C compiler")
	}
}

func TestRunCReference(t *testing.T) {
	needCReference(t)
	r, err := RunCReference(context.Background(), cRefSource, 32, 0.68, 300, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", r.Output)
	// δ = 1.5 fixed in the C code gives an acceptance of about 0.45 at β = 0.68.
	if !(r.NsPerUpdate > 0) || r.Acceptance < 0.3 || r.Acceptance > 0.6 || !(r.Phi2 > 0) {
		t.Errorf("implausible C reference result %+v", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RunCReference(ctx, cRefSource, 32, 0.68, 300, 1); err == nil {
		t.Error("cancelled RunCReference succeeded")
	}
}

func TestRunCReferenceErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := RunCReference(ctx, "no/such/file.c", 32, 0.68, 10, 1); err == nil || !strings.HasPrefix(err.Error(), "phi4: ") {
		t.Errorf("missing source: %v", err)
	}
	if _, err := RunCReference(ctx, cRefSource, 1, 0.68, 10, 1); err == nil {
		t.Error("L = 1 accepted")
	}
	t.Setenv("CC", "no-such-compiler-wcrg")
	if _, err := os.Stat(cRefSource); err == nil {
		_, err := RunCReference(ctx, cRefSource, 32, 0.68, 10, 1)
		if err == nil || !strings.Contains(err.Error(), "no C compiler") {
			t.Errorf("missing compiler: %v", err)
		}
	}
}

func TestParseCReference(t *testing.T) {
	r, err := parseCReference("L=128 beta=0.6800 sweeps=2000 ns_per_site=28.36 acceptance=0.449 phi2=0.8039 absm=0.0326\n")
	if err != nil || r.NsPerUpdate != 28.36 || r.Acceptance != 0.449 || r.Phi2 != 0.8039 || r.AbsM != 0.0326 {
		t.Errorf("parse: %+v, %v", r, err)
	}
	for _, bad := range []string{"", "segfault", "ns_per_site=x acceptance=1 phi2=1 absm=1", "ns_per_site=0 acceptance=1 phi2=1 absm=1"} {
		if _, err := parseCReference(bad); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestTimeMetropolis(t *testing.T) {
	r, err := TimeMetropolis(context.Background(), 32, 0.68, 20, 20, 1, 1)
	if err != nil || !(r.NsPerUpdate > 0) || r.Workers != 1 || r.Acceptance < 0.3 {
		t.Errorf("TimeMetropolis: %+v, %v", r, err)
	}
	if _, err := TimeMetropolis(context.Background(), 31, 0.68, 20, 20, 1, 1); err == nil {
		t.Error("L = 31 accepted")
	}
}
