package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesOrKeeps(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.txt")
	if err := WriteBytes(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	got, _ := os.ReadFile(p)
	if string(got) != "one" {
		t.Errorf("after a failed write the file holds %q, want the old %q", got, "one")
	}
	if err := WriteBytes(p, []byte("two")); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(p)
	ents, _ := os.ReadDir(dir)
	if string(got) != "two" || len(ents) != 1 {
		t.Errorf("file %q, %d entries in dir; want %q and no temporary files", got, len(ents), "two")
	}
	if err := WriteBytes(filepath.Join(dir, "no/such/dir/x"), nil); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}
