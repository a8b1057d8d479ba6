package wcrg

import "fmt"

func errorf(format string, a ...any) error { return fmt.Errorf("wcrg: "+format, a...) }
