package app

import (
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2/widget"
)

// intEntry returns an entry that accepts integers in [lo, hi].
func intEntry(value, lo, hi int) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(strconv.Itoa(value))
	e.Validator = func(s string) error {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("not an integer")
		}
		if v < lo || v > hi {
			return fmt.Errorf("want %d … %d", lo, hi)
		}
		return nil
	}
	return e
}

// floatEntry returns an entry that accepts numbers in [lo, hi].
func floatEntry(value, lo, hi float64) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(strconv.FormatFloat(value, 'g', -1, 64))
	e.Validator = func(s string) error {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("not a number")
		}
		if !(v >= lo && v <= hi) {
			return fmt.Errorf("want %g … %g", lo, hi)
		}
		return nil
	}
	return e
}

// readInt parses a validated entry; it reports the field name on error.
func readInt(name string, e *widget.Entry) (int, error) {
	if err := e.Validate(); err != nil {
		return 0, fmt.Errorf("%s: %v", name, err)
	}
	v, _ := strconv.Atoi(strings.TrimSpace(e.Text))
	return v, nil
}

func readFloat(name string, e *widget.Entry) (float64, error) {
	if err := e.Validate(); err != nil {
		return 0, fmt.Errorf("%s: %v", name, err)
	}
	v, _ := strconv.ParseFloat(strings.TrimSpace(e.Text), 64)
	return v, nil
}
