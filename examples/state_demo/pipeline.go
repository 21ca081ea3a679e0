package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// jobName is the key of the job's Progress.
const jobName = "state_demo"

// job is the stream processor: it reads orders from a source, keeps
// per-merchant windows and per-customer totals, fires windows as the
// watermark advances, and takes checkpoints between events.
//
// It is exactly once for state because every checkpoint is cut at an event
// boundary, with the input position in it: the loop itself writes its Progress
// (offset, watermark, counters) and calls CreateCheckpoint after an event's
// writes have returned and before the next event's begin. So a checkpoint
// holds every write of the events before its offset and none of the events
// after it, and a restart that restores it and replays from its offset
// applies each event to the state once. Fired windows go out of the process
// (emit): those fired after the last checkpoint fire again after a restart,
// with the same contents (at least once).
type job struct {
	b         runtime.Backend
	merchants *MerchantWindowStore
	customers *CustomerTotalsStore
	progress  *ProgressStore
	coord     *checkpoint.Coordinator // nil: no checkpoints
	src       *source
	opts      jobOptions
	emit      func(MerchantWindowKey, runtime.Window, MerchantWindow) error
	// checkpointed, if set, is told of each checkpoint the loop takes.
	checkpointed func(checkpoint.Info, Progress)
	pauses       []time.Duration // how long each checkpoint held the loop
	p            Progress        // the job's position and counters, written at each checkpoint
}

// jobOptions configure a job.
type jobOptions struct {
	checkpointEvery int64         // events between checkpoints
	fireEvery       int64         // events between watermark advances
	watermarkLag    time.Duration // the watermark trails the newest event time by this
	// positionLag saves the position this many events early: a fault, for
	// tests, that makes a restart apply those events twice.
	positionLag int64
}

func newJob(b runtime.Backend, coord *checkpoint.Coordinator, src *source, opts jobOptions,
	emit func(MerchantWindowKey, runtime.Window, MerchantWindow) error) *job {
	return &job{
		b:         b,
		merchants: NewMerchantWindowStore(b),
		customers: NewCustomerTotalsStore(b),
		progress:  NewProgressStore(b),
		coord:     coord,
		src:       src,
		opts:      opts,
		emit:      emit,
		p:         Progress{Job: jobName, Source: src.name},
	}
}

// resume restores the newest checkpoint and the position saved in it, and
// returns the checkpoint (nil when there was none and the job starts from
// the beginning with empty state).
func (j *job) resume(ctx context.Context) (*checkpoint.Info, error) {
	j.p = Progress{Job: jobName, Source: j.src.name}
	if j.coord == nil {
		return nil, nil
	}
	info, err := j.coord.RestoreLatest(ctx)
	if errors.Is(err, checkpoint.ErrNoCheckpoint) {
		// A run killed before its first checkpoint may have left state in a
		// persistent backend: starting from offset 0 on top of it would
		// apply its events twice.
		return nil, clearBackend(ctx, j.b)
	}
	if err != nil {
		return nil, err
	}
	p, found, err := j.progress.Get(ctx, ProgressKey{Job: jobName})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("checkpoint %s holds no progress of job %q: it was not written by this job", info.ID, jobName)
	}
	if p.Source != j.src.name {
		return nil, fmt.Errorf("checkpoint %s holds a position in the stream %q, not in %q: run with the same flags, or in a new directory", info.ID, p.Source, j.src.name)
	}
	if p.Offset < 0 || p.Offset > j.src.Len() {
		return nil, fmt.Errorf("checkpoint %s: offset %d outside the stream's %d events", info.ID, p.Offset, j.src.Len())
	}
	j.p = p
	// The window store's fired watermark came back with the checkpoint: it
	// refuses events for windows that fired before it was cut, at once.
	return &info, nil
}

// clearBackend deletes everything in b.
func clearBackend(ctx context.Context, b runtime.Backend) error {
	if s, ok := b.(runtime.Snapshotter); ok {
		return s.Restore(ctx, func(func(runtime.Entry, error) bool) {})
	}
	keys, err := b.ListKeys(ctx, nil)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// run processes events from the current offset up to (not including) end,
// calling tick after each event.
func (j *job) run(ctx context.Context, end int64, tick func(offset int64)) error {
	end = min(end, j.src.Len())
	for j.p.Offset < end {
		if j.p.Offset%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := j.step(ctx); err != nil {
			return err
		}
		if tick != nil {
			tick(j.p.Offset)
		}
	}
	return nil
}

// step processes the event at the current offset.
func (j *job) step(ctx context.Context) error {
	off := j.p.Offset
	o := j.src.At(off)
	err := j.merchants.Add(ctx, o.At, MerchantWindow{Merchant: o.Merchant, Cents: o.Cents, Largest: o.Cents})
	switch {
	case errors.Is(err, runtime.ErrLate):
		j.p.Late++ // its windows have fired: dropped from them
	case err != nil:
		return fmt.Errorf("event %d: %w", off, err)
	}
	err = j.customers.Merge(ctx, CustomerTotals{
		Customer: o.Customer, Cents: o.Cents, Largest: o.Cents, First: o.At, Last: o.At, LastMerchant: o.Merchant,
	})
	if err != nil {
		return fmt.Errorf("event %d: %w", off, err)
	}
	if o.At.After(j.p.Newest) {
		j.p.Newest = o.At
	}
	j.p.Offset = off + 1
	// Everything that depends on the offset (firing, checkpoints) is a
	// function of it, so a replay does the same things at the same events.
	if j.p.Offset%j.opts.fireEvery == 0 {
		if err := j.fire(ctx, j.p.Newest.Add(-j.opts.watermarkLag)); err != nil {
			return err
		}
	}
	if j.coord != nil && j.p.Offset%j.opts.checkpointEvery == 0 {
		info, err := j.checkpoint(ctx)
		if err != nil {
			return err
		}
		if j.checkpointed != nil {
			j.checkpointed(info, j.p)
		}
	}
	return nil
}

// fire advances the watermark to wm and fires the windows due.
func (j *job) fire(ctx context.Context, wm time.Time) error {
	if !wm.After(j.p.Watermark) {
		return nil
	}
	n, err := j.merchants.FireDue(ctx, wm, j.emit)
	j.p.Fired += int64(n)
	if err != nil {
		return fmt.Errorf("firing windows at %v: %w", wm, err)
	}
	j.p.Watermark = wm
	return nil
}

// checkpoint is the barrier: between two events, it writes the position into
// the backend and takes a checkpoint, which so holds the position and exactly
// the state of the events before it.
func (j *job) checkpoint(ctx context.Context) (checkpoint.Info, error) {
	start := time.Now()
	p := j.p
	p.Offset = max(0, p.Offset-j.opts.positionLag)
	if err := j.progress.Put(ctx, p); err != nil {
		return checkpoint.Info{}, err
	}
	info, err := j.coord.CreateCheckpoint(ctx)
	j.pauses = append(j.pauses, time.Since(start))
	return info, err
}

// finish fires every window left, at the end of the stream, writes the
// position and shuts the coordinator down, which takes a last checkpoint.
func (j *job) finish(ctx context.Context) error {
	if err := j.fire(ctx, j.p.Newest.Add(24*time.Hour)); err != nil {
		return err
	}
	if err := j.progress.Put(ctx, j.p); err != nil {
		return err
	}
	if j.coord == nil {
		return nil
	}
	return j.coord.Shutdown(ctx) // takes the last checkpoint, with the position just written
}

// results returns the customer totals, in key order, and the progress.
func (j *job) results(ctx context.Context) ([]CustomerTotals, Progress, error) {
	var all []CustomerTotals
	for c, err := range j.customers.All(ctx) {
		if err != nil {
			return nil, Progress{}, err
		}
		all = append(all, c)
	}
	return all, j.p, nil
}

// windowID names a fired window.
type windowID struct {
	Merchant string
	Start    time.Time
}

// sink is what receives fired windows downstream. A window that fires again
// after a restart must have the same contents: it then counts as a repeat.
type sink struct {
	windows map[windowID]MerchantWindow
	order   []windowID
	repeats int
}

func newSink() *sink { return &sink{windows: make(map[windowID]MerchantWindow)} }

func (s *sink) emit(k MerchantWindowKey, w runtime.Window, v MerchantWindow) error {
	id := windowID{k.Merchant, w.Start}
	if old, ok := s.windows[id]; ok {
		if old != v {
			return fmt.Errorf("window %s of %s fired twice with different contents: %+v, then %+v", w, k.Merchant, old, v)
		}
		s.repeats++
		return nil
	}
	s.windows[id] = v
	s.order = append(s.order, id)
	return nil
}

// compareRuns returns an error describing the first differences between two
// runs' results, or nil if they are the same.
func compareRuns(gotWin, wantWin map[windowID]MerchantWindow, got, want []CustomerTotals, gotP, wantP Progress) error {
	var errs []error
	if len(gotWin) != len(wantWin) {
		errs = append(errs, fmt.Errorf("%d windows fired, want %d", len(gotWin), len(wantWin)))
	}
	bad := 0
	for id, w := range wantWin {
		if g, ok := gotWin[id]; !ok || g != w {
			if bad++; bad <= 3 {
				errs = append(errs, fmt.Errorf("window %s at %s: got %+v (present: %v), want %+v", id.Merchant, id.Start.Format(time.TimeOnly), g, ok, w))
			}
		}
	}
	if len(got) != len(want) {
		errs = append(errs, fmt.Errorf("%d customers, want %d", len(got), len(want)))
	}
	bad = 0
	for i := range min(len(got), len(want)) {
		if !sameCustomer(got[i], want[i]) {
			if bad++; bad <= 3 {
				errs = append(errs, fmt.Errorf("customer totals: got %+v, want %+v", got[i], want[i]))
			}
		}
	}
	if gotP.Offset != wantP.Offset || gotP.Late != wantP.Late || gotP.Fired != wantP.Fired ||
		!gotP.Newest.Equal(wantP.Newest) || !gotP.Watermark.Equal(wantP.Watermark) {
		errs = append(errs, fmt.Errorf("progress: got %+v, want %+v", gotP, wantP))
	}
	return errors.Join(errs...)
}

func sameCustomer(a, b CustomerTotals) bool {
	return a.Customer == b.Customer && a.Orders == b.Orders && a.Cents == b.Cents && a.Largest == b.Largest &&
		a.First.Equal(b.First) && a.Last.Equal(b.Last) && a.LastMerchant == b.LastMerchant
}
