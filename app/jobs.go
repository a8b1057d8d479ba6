package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Progress is what a job reports: a fraction in [0, 1] (negative for
// unknown) and a short status text.
type Progress struct {
	Fraction float64
	Text     string
}

// JobFunc is the body of a job. It runs on its own goroutine, must return
// promptly after ctx is cancelled, and reports progress through report. On
// success it returns a function that applies its result to the UI; that
// function runs on the UI goroutine. A cancelled or failed job applies
// nothing, so the previous results stay intact.
type JobFunc func(ctx context.Context, report func(Progress)) (apply func(), err error)

// job is one running job.
type job struct {
	id     int
	slot   string
	name   string
	cancel context.CancelFunc
	done   chan struct{}
	prog   Progress
	// replacedBy names the job that cancelled this one by starting in its
	// slot ("" if none); guarded by Jobs.mu.
	replacedBy string
}

// Jobs runs long computations off the UI goroutine. Each job runs in a
// slot: starting a job in a slot cancels the job already running there (its
// result is dropped), while jobs in different slots run side by side. A
// status bar shows the newest running job's progress and a Cancel button
// that stops all of them. Progress reaches the UI at most 30 times a second.
type Jobs struct {
	win     fyne.Window
	label   *widget.Label
	bar     *widget.ProgressBar
	infbar  *widget.ProgressBarInfinite
	cancelB *widget.Button
	Bar     fyne.CanvasObject // the status bar to place in the window

	mu      sync.Mutex
	nextID  int
	running []*job // in start order
	lastErr error
	ticker  chan struct{}

	// uiMu serializes the status bar's widget updates. In the app they all
	// run on the UI goroutine and it is never contended; under Fyne's test
	// driver fyne.Do runs on the calling goroutine, and the ticker and a
	// finishing job would otherwise update the same label concurrently.
	uiMu sync.Mutex
}

// NewJobs returns a job runner that shows errors as dialogs on win.
func NewJobs(win fyne.Window) *Jobs {
	j := &Jobs{win: win, label: widget.NewLabel("Ready"), bar: widget.NewProgressBar(), infbar: widget.NewProgressBarInfinite()}
	j.infbar.Stop()
	j.infbar.Hide()
	j.bar.Hide()
	j.cancelB = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), j.CancelAll)
	j.cancelB.Disable()
	j.label.Truncation = fyne.TextTruncateEllipsis
	j.Bar = container.NewBorder(nil, nil, nil, container.NewHBox(j.cancelB),
		container.NewGridWithColumns(2, j.label, container.NewStack(j.bar, j.infbar)))
	return j
}

// Busy reports whether any job is running.
func (j *Jobs) Busy() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.running) > 0
}

// Running reports whether a job is running in slot.
func (j *Jobs) Running(slot string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, r := range j.running {
		if r.slot == slot {
			return true
		}
	}
	return false
}

// Cancel stops the job in slot, if any.
func (j *Jobs) Cancel(slot string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, r := range j.running {
		if r.slot == slot {
			r.cancel()
		}
	}
}

// CancelAll stops every running job.
func (j *Jobs) CancelAll() {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, r := range j.running {
		r.cancel()
	}
	if len(j.running) > 0 {
		j.label.SetText("cancelling…")
	}
}

// Wait blocks until no job is running and returns the error of the last
// job that finished (context.Canceled if it was cancelled). For tests and
// scripted tours; never call it on the UI goroutine.
func (j *Jobs) Wait() error {
	for {
		j.mu.Lock()
		var done chan struct{}
		if len(j.running) > 0 {
			done = j.running[0].done
		}
		err := j.lastErr
		j.mu.Unlock()
		if done == nil {
			return err
		}
		<-done
	}
}

// Start runs fn as the job name in slot, cancelling the job already running
// in that slot. Call it on the UI goroutine.
func (j *Jobs) Start(slot, name string, fn JobFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	j.mu.Lock()
	for _, r := range j.running {
		if r.slot == slot {
			r.replacedBy = name
			r.cancel()
		}
	}
	j.nextID++
	jb := &job{id: j.nextID, slot: slot, name: name, cancel: cancel, done: make(chan struct{}), prog: Progress{Fraction: -1}}
	j.running = append(j.running, jb)
	if j.ticker == nil {
		j.ticker = make(chan struct{})
		go j.tick(j.ticker)
	}
	j.mu.Unlock()
	j.refresh()

	report := func(p Progress) {
		j.mu.Lock()
		jb.prog = p
		j.mu.Unlock()
	}
	go func() {
		apply, err := fn(ctx, report)
		cancelled := ctx.Err() != nil || errors.Is(err, context.Canceled)
		cancel()
		fyne.Do(func() { j.finish(jb, apply, err, cancelled) })
	}()
}

// tick pushes progress to the UI 30 times a second while jobs run.
func (j *Jobs) tick(stop chan struct{}) {
	t := time.NewTicker(time.Second / 30)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			fyne.Do(j.refresh)
		}
	}
}

// refresh shows the newest running job in the status bar (UI goroutine).
func (j *Jobs) refresh() {
	j.mu.Lock()
	var cur *job
	if n := len(j.running); n > 0 {
		cur = j.running[n-1]
	}
	others := len(j.running) - 1
	var p Progress
	if cur != nil {
		p = cur.prog
	}
	j.mu.Unlock()
	if cur == nil {
		return
	}
	text := cur.name + "…"
	if p.Text != "" {
		text = cur.name + ": " + p.Text
	}
	if others > 0 {
		text += fmt.Sprintf("  (+%d more)", others)
	}
	j.uiMu.Lock()
	defer j.uiMu.Unlock()
	if j.label.Text != text {
		j.label.SetText(text)
	}
	j.cancelB.Enable()
	if p.Fraction >= 0 {
		j.infbar.Stop()
		j.infbar.Hide()
		j.bar.Show()
		j.bar.SetValue(min(max(p.Fraction, 0), 1))
	} else if !j.infbar.Visible() {
		j.bar.Hide()
		j.infbar.Show()
		j.infbar.Start()
	}
}

func (j *Jobs) finish(jb *job, apply func(), err error, cancelled bool) {
	setLabel := func(s string) {
		j.uiMu.Lock()
		j.label.SetText(s)
		j.uiMu.Unlock()
	}
	j.mu.Lock()
	replacedBy := jb.replacedBy
	j.mu.Unlock()
	switch {
	case cancelled && replacedBy != "":
		setLabel(jb.name + ": stopped by " + replacedBy + "; its result is dropped")
	case cancelled:
		setLabel(jb.name + ": cancelled; previous results kept")
	case err != nil:
		setLabel(jb.name + ": failed")
		dialog.ShowError(fmt.Errorf("%s: %w", jb.name, err), j.win)
	default:
		if apply != nil {
			apply()
		}
		setLabel(jb.name + ": done")
	}
	j.mu.Lock()
	for i, r := range j.running {
		if r == jb {
			j.running = append(j.running[:i], j.running[i+1:]...)
			break
		}
	}
	if cancelled {
		j.lastErr = context.Canceled
	} else {
		j.lastErr = err
	}
	idle := len(j.running) == 0
	if idle && j.ticker != nil {
		close(j.ticker)
		j.ticker = nil
	}
	j.mu.Unlock()
	if idle {
		j.uiMu.Lock()
		j.infbar.Stop()
		j.infbar.Hide()
		j.bar.Hide()
		j.cancelB.Disable()
		j.uiMu.Unlock()
	}
	close(jb.done)
	if !idle {
		j.refresh()
	}
}
