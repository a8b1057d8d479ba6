// Package app is the WCRG Lab desktop GUI.
package app

import (
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

// Run opens the main window and blocks until it is closed.
func Run() {
	a := fyneapp.NewWithID("io.github.wcrglab.wcrg")
	w := a.NewWindow("WCRG Lab")
	w.SetContent(widget.NewLabel("WCRG Lab"))
	w.ShowAndRun()
}
