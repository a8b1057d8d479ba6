package app

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2/widget"
)

// remembered is one form widget whose value persists in the preferences.
type remembered struct {
	key string
	w   any // *widget.Entry, *widget.Select, *widget.Check, *widget.RadioGroup or *widget.CheckGroup
}

// remember restores the widgets' values from the last session (preferences
// "prefix.key") and saves every later change, so that a user finds the
// settings of the last run. Restoring goes through the widgets' own
// setters, so their change handlers run as if the user had typed: give a
// preset selector first, then the fields it sets. A stored value that the
// widget no longer offers (a renamed option) is ignored.
func (a *App) remember(prefix string, items ...remembered) {
	p := a.fyne.Preferences()
	for _, it := range items {
		key := prefix + "." + it.key
		switch w := it.w.(type) {
		case *widget.Entry:
			if v := p.StringWithFallback(key, "\x00"); v != "\x00" {
				w.SetText(v)
			}
			w.OnChanged = thenSave(w.OnChanged, func(s string) { p.SetString(key, s) })
		case *widget.Select:
			if v := p.String(key); v != "" && contains(w.Options, v) {
				w.SetSelected(v)
			}
			w.OnChanged = thenSave(w.OnChanged, func(s string) { p.SetString(key, s) })
		case *widget.RadioGroup:
			if v := p.String(key); v != "" && contains(w.Options, v) {
				w.SetSelected(v)
			}
			w.OnChanged = thenSave(w.OnChanged, func(s string) { p.SetString(key, s) })
		case *widget.Check:
			if v := p.String(key); v != "" {
				if b, err := strconv.ParseBool(v); err == nil {
					w.SetChecked(b)
				}
			}
			w.OnChanged = thenSave(w.OnChanged, func(b bool) { p.SetString(key, strconv.FormatBool(b)) })
		case *widget.CheckGroup:
			if v := p.StringWithFallback(key, "\x00"); v != "\x00" {
				var keep []string
				for _, s := range strings.Split(v, "\n") {
					if s != "" && contains(w.Options, s) {
						keep = append(keep, s)
					}
				}
				w.SetSelected(keep)
			}
			w.OnChanged = thenSave(w.OnChanged, func(sel []string) { p.SetString(key, strings.Join(sel, "\n")) })
		default:
			panic("app: remember: unsupported widget")
		}
	}
}

// thenSave returns a change handler that runs prev (if any), then save.
func thenSave[T any](prev, save func(T)) func(T) {
	return func(v T) {
		if prev != nil {
			prev(v)
		}
		save(v)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
