package runtime

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// ErrLate is returned by Windows.Add for an event all of whose windows have
// already fired (their end plus the allowed lateness is at or before a
// watermark FireDue was given). The event is dropped.
var ErrLate = errors.New("statekit: event too late: its windows have fired")

// AppendWindows appends the windows of the given size, sliding by slide and
// aligned to the Unix epoch, that contain at, oldest first. A tumbling window
// has slide == size: one window. size and slide must be positive and slide at
// most size; at must lie in the years 1678-2262 (Unix nanoseconds).
func AppendWindows(dst []Window, at time.Time, size, slide time.Duration) ([]Window, error) {
	if size <= 0 || slide <= 0 || slide > size {
		return dst, fmt.Errorf("%w: window size %v, slide %v", ErrInvalidArgument, size, slide)
	}
	if at.Before(minKeyTime) || at.After(maxKeyTime) {
		return dst, fmt.Errorf("%w: event time %v outside the years 1678-2262", ErrInvalidArgument, at)
	}
	t := at.UnixNano()
	last := floorDiv(t, int64(slide)) * int64(slide)
	first := floorDiv(t-int64(size), int64(slide))*int64(slide) + int64(slide)
	if first < math.MinInt64+int64(slide) || last > math.MaxInt64-int64(size) {
		return dst, fmt.Errorf("%w: the windows of %v do not fit in Unix nanoseconds", ErrInvalidArgument, at)
	}
	for s := first; s <= last; s += int64(slide) {
		dst = append(dst, Window{Start: time.Unix(0, s).UTC(), End: time.Unix(0, s+int64(size)).UTC()})
	}
	return dst, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// WindowSpec describes a window store: its windows and where its keys live.
type WindowSpec struct {
	Size, Slide time.Duration // Slide == Size: tumbling
	Lateness    time.Duration // a window fires when End+Lateness <= the watermark
	TTL         time.Duration // TTL of state and timers; 0: the backend's default
	StatePrefix []byte        // state keys: StatePrefix + key fields + window start
	TimerPrefix []byte        // timer keys: TimerPrefix + window end + key fields
}

// Windows is the untyped engine under generated window stores: window
// assignment, state and timer keys, merging, firing. Key fields arrive already
// encoded (the tuple encoding of the store's key), values as bytes.
//
// Each window's state has a timer key, written before the state's first write,
// so that FireDue is a range scan over timers in end order, not a scan of all
// state. A crash after the timer and before the state leaves a timer that fires
// nothing; never state without a timer.
type Windows struct {
	b      Backend
	spec   WindowSpec
	timers timerCache
	// fired: windows whose End+Lateness is at or before this (Unix ns) have
	// fired; Add drops events for them. It lives in memory only: after a
	// restart, events for fired windows are accepted until FireDue runs.
	fired atomic.Int64
}

// Validate reports what is wrong with spec.
func (spec WindowSpec) Validate() error {
	switch {
	case spec.Size <= 0:
		return fmt.Errorf("%w: window size %v: must be positive", ErrInvalidArgument, spec.Size)
	case spec.Slide <= 0 || spec.Slide > spec.Size:
		return fmt.Errorf("%w: window slide %v: must be positive and at most the size %v", ErrInvalidArgument, spec.Slide, spec.Size)
	case spec.Lateness < 0:
		return fmt.Errorf("%w: window lateness %v: must not be negative", ErrInvalidArgument, spec.Lateness)
	case spec.TTL < 0:
		return fmt.Errorf("%w: window ttl %v: must not be negative", ErrInvalidArgument, spec.TTL)
	case len(spec.StatePrefix) == 0 || len(spec.TimerPrefix) == 0:
		return fmt.Errorf("%w: window state and timer prefixes must not be empty", ErrInvalidArgument)
	}
	return nil
}

// NewWindows returns the engine for spec on b. Like regexp.MustCompile, it
// panics if spec.Validate fails: generated code passes constants that stategen
// has checked.
func NewWindows(b Backend, spec WindowSpec) *Windows {
	if err := spec.Validate(); err != nil {
		panic(err)
	}
	w := &Windows{b: b, spec: spec}
	w.fired.Store(math.MinInt64)
	return w
}

// Backend returns the backend the windows are stored in.
func (w *Windows) Backend() Backend { return w.b }

func (w *Windows) stateKey(dst, fields []byte, start time.Time) ([]byte, error) {
	dst = append(append(dst, w.spec.StatePrefix...), fields...)
	return AppendKeyTime(dst, start)
}

func (w *Windows) timerKey(dst, fields []byte, end time.Time) ([]byte, error) {
	dst, err := AppendKeyTime(append(dst, w.spec.TimerPrefix...), end)
	if err != nil {
		return dst, err
	}
	return append(dst, fields...), nil
}

func (w *Windows) put(ctx context.Context, key, value []byte) error {
	return PutTTL(ctx, w.b, key, value, w.spec.TTL)
}

// Add merges an event at time at into every window containing it, with merge
// (an UpdateFunc over the encoded state). Windows that have already fired are
// skipped; if all of them have, Add returns an error wrapping ErrLate.
func (w *Windows) Add(ctx context.Context, fields []byte, at time.Time, merge UpdateFunc) error {
	var buf [8]Window
	wins, err := AppendWindows(buf[:0], at, w.spec.Size, w.spec.Slide)
	if err != nil {
		return err
	}
	fired := w.fired.Load()
	n := len(fields) + max(len(w.spec.StatePrefix), len(w.spec.TimerPrefix)) + 8
	key, tk := make([]byte, 0, n), make([]byte, 0, n)
	added := 0
	// If the state vanished after ensureTimer (or the cache) saw it, a
	// concurrent FireDue fired the window and deleted its timer: the update
	// recreates the state, which then needs a timer again.
	created := false
	update := func(old []byte, found bool) ([]byte, bool, error) {
		created = !found
		return merge(old, found)
	}
	for _, win := range wins {
		if win.End.Add(w.spec.Lateness).UnixNano() <= fired {
			continue
		}
		if key, err = w.stateKey(key[:0], fields, win.Start); err != nil {
			return err
		}
		if tk, err = w.timerKey(tk[:0], fields, win.End); err != nil {
			return err
		}
		known := w.timers.has(tk)
		if !known {
			if err := w.ensureTimer(ctx, key, tk); err != nil {
				return err
			}
		}
		created = false
		if err := UpdateTTL(ctx, w.b, key, w.spec.TTL, update); err != nil {
			return err
		}
		if created && known {
			if err := w.put(ctx, tk, []byte{}); err != nil {
				return err
			}
		}
		if !known {
			w.timers.add(tk)
		}
		added++
	}
	if added == 0 {
		return fmt.Errorf("event at %v: %w", at, ErrLate)
	}
	return nil
}

// ensureTimer writes the timer of a window whose state does not exist yet.
func (w *Windows) ensureTimer(ctx context.Context, stateKey, timerKey []byte) error {
	_, found, err := w.b.Get(ctx, stateKey)
	if err != nil || found {
		return err
	}
	return w.put(ctx, timerKey, []byte{})
}

// Get returns the state of one window.
func (w *Windows) Get(ctx context.Context, fields []byte, win Window) ([]byte, bool, error) {
	key, err := w.stateKey(nil, fields, win.Start)
	if err != nil {
		return nil, false, err
	}
	return w.b.Get(ctx, key)
}

// Put replaces the state of one window (writing its timer first if needed).
func (w *Windows) Put(ctx context.Context, fields []byte, win Window, value []byte) error {
	if err := w.checkWindow(win); err != nil {
		return err
	}
	key, err := w.stateKey(nil, fields, win.Start)
	if err != nil {
		return err
	}
	tk, err := w.timerKey(nil, fields, win.End)
	if err != nil {
		return err
	}
	if err := w.ensureTimer(ctx, key, tk); err != nil {
		return err
	}
	w.timers.add(tk)
	return w.put(ctx, key, value)
}

// checkWindow refuses a window that is not one of the store's.
func (w *Windows) checkWindow(win Window) error {
	if win.End.Sub(win.Start) != w.spec.Size || floorDiv(win.Start.UnixNano(), int64(w.spec.Slide))*int64(w.spec.Slide) != win.Start.UnixNano() {
		return fmt.Errorf("%w: window %v is not a window of size %v aligned to %v", ErrInvalidArgument, win, w.spec.Size, w.spec.Slide)
	}
	return nil
}

// Delete removes the state of one window and its timer.
func (w *Windows) Delete(ctx context.Context, fields []byte, win Window) error {
	key, err := w.stateKey(nil, fields, win.Start)
	if err != nil {
		return err
	}
	if err := w.b.Delete(ctx, key); err != nil {
		return err
	}
	tk, err := w.timerKey(nil, fields, win.End)
	if err != nil {
		return err
	}
	w.timers.remove(tk)
	return w.b.Delete(ctx, tk)
}

// Scan calls fn for every window of one key, by start time.
func (w *Windows) Scan(ctx context.Context, fields []byte, fn func(win Window, value []byte) error) error {
	prefix := append(append([]byte(nil), w.spec.StatePrefix...), fields...)
	return w.b.Scan(ctx, prefix, func(k, v []byte) error {
		r := NewKeyReader(k[len(prefix):])
		start := r.ReadTime()
		if err := r.Done(); err != nil {
			return fmt.Errorf("window state key %q: %w", k, err)
		}
		return fn(Window{Start: start, End: start.Add(w.spec.Size)}, v)
	})
}

// fireBatch bounds how many due timers FireDue collects per scan.
const fireBatch = 1 << 16

// FireDue calls fn for every window with End+Lateness <= watermark, oldest end
// first (then by key), and deletes its state and timer after fn returns nil. It
// returns how many windows it fired. If fn fails, FireDue stops and returns the
// error; that window and the ones after it stay, to fire again. A crash
// between fn and the deletes fires the window again: delivery is at least once.
// Windows fired are remembered, and Add drops events for them (ErrLate).
func (w *Windows) FireDue(ctx context.Context, watermark time.Time, fn func(fields []byte, win Window, value []byte) error) (int, error) {
	limit := watermark.Add(-w.spec.Lateness)
	if limit.Before(minKeyTime) {
		return 0, nil
	}
	if limit.After(maxKeyTime) {
		limit = maxKeyTime
	}
	// Refuse events for the windows about to fire before firing them, so
	// that a concurrent Add does not recreate state behind FireDue's back.
	for {
		old := w.fired.Load()
		if limit.UnixNano() <= old || w.fired.CompareAndSwap(old, limit.UnixNano()) {
			break
		}
	}
	fired := 0
	for {
		var due [][]byte
		err := w.b.Scan(ctx, w.spec.TimerPrefix, func(k, _ []byte) error {
			r := NewKeyReader(k)
			r.ReadPrefix(w.spec.TimerPrefix)
			end := r.ReadTime()
			if err := r.Err(); err != nil {
				return fmt.Errorf("window timer key %q: %w", k, err)
			}
			if end.After(limit) {
				return SkipAll
			}
			due = append(due, append([]byte(nil), k...))
			if len(due) == fireBatch {
				return SkipAll
			}
			return nil
		})
		if err != nil {
			return fired, err
		}
		for _, tk := range due {
			if err := w.fire(ctx, tk, fn); err != nil {
				return fired, err
			}
			fired++
		}
		if len(due) < fireBatch {
			break
		}
	}
	return fired, nil
}

func (w *Windows) fire(ctx context.Context, timerKey []byte, fn func(fields []byte, win Window, value []byte) error) error {
	r := NewKeyReader(timerKey)
	r.ReadPrefix(w.spec.TimerPrefix)
	end := r.ReadTime()
	fields := r.Rest()
	win := Window{Start: end.Add(-w.spec.Size), End: end}
	key, err := w.stateKey(nil, fields, win.Start)
	if err != nil {
		return err
	}
	value, found, err := w.b.Get(ctx, key)
	if err != nil {
		return err
	}
	if found {
		if err := fn(fields, win, value); err != nil {
			return err
		}
		if err := w.b.Delete(ctx, key); err != nil {
			return err
		}
	}
	w.timers.remove(timerKey)
	return w.b.Delete(ctx, timerKey)
}

// timerCache remembers the timers this process wrote, so that Add skips the
// read that checks for one. It is only a hint: an entry may outlive its timer
// (another process fired the window), which Add notices when its update finds
// no state, and writes the timer again. It holds at most timerCacheMax keys,
// forgetting them all when full.
type timerCache struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

const timerCacheMax = 1 << 20

func (c *timerCache) has(k []byte) bool {
	c.mu.Lock()
	_, ok := c.keys[string(k)]
	c.mu.Unlock()
	return ok
}

func (c *timerCache) add(k []byte) {
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= timerCacheMax {
		c.keys = make(map[string]struct{})
	}
	c.keys[string(k)] = struct{}{}
	c.mu.Unlock()
}

func (c *timerCache) remove(k []byte) {
	c.mu.Lock()
	delete(c.keys, string(k))
	c.mu.Unlock()
}
