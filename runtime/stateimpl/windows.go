package stateimpl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statekit/statekit/runtime"
)

// WindowSpec describes a window store: its windows and where its keys live.
type WindowSpec struct {
	Size, Slide time.Duration // Slide == Size: tumbling
	Lateness    time.Duration // a window fires when End+Lateness <= the watermark
	// TTL of window state, refreshed by every Add; 0: the backend's default.
	// It must be longer than Size+Lateness, or state would expire before its
	// window is due; it counts processing time, so leave room for the
	// watermark's lag. Timers and the watermark outlive it (see Windows).
	TTL         time.Duration
	StatePrefix []byte // state keys: StatePrefix + key fields + window start
	TimerPrefix []byte // timer keys: TimerPrefix + window end + key fields
	// WatermarkKey holds the highest watermark FireDue was given. Empty means
	// TimerPrefix with its final '/' replaced by ":watermark" ("t/Clicks/"
	// gives "t/Clicks:watermark"), which then must end in '/'. It must not
	// start with either prefix, so that no scan of state or timers meets it.
	WatermarkKey []byte
}

// Validate reports what is wrong with spec.
func (spec WindowSpec) Validate() error {
	_, err := spec.validate()
	return err
}

// validate checks spec and returns its watermark key.
func (spec WindowSpec) validate() ([]byte, error) {
	bad := func(format string, args ...any) ([]byte, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{runtime.ErrInvalidArgument}, args...)...)
	}
	switch {
	case spec.Size <= 0:
		return bad("window size %v: must be positive", spec.Size)
	case spec.Slide <= 0 || spec.Slide > spec.Size:
		return bad("window slide %v: must be positive and at most the size %v", spec.Slide, spec.Size)
	case runtime.WindowsPerEvent(spec.Size, spec.Slide) > runtime.MaxWindowsPerEvent:
		return bad("window size %v, slide %v: %d windows per event, more than %d", spec.Size, spec.Slide,
			runtime.WindowsPerEvent(spec.Size, spec.Slide), runtime.MaxWindowsPerEvent)
	case spec.Lateness < 0:
		return bad("window lateness %v: must not be negative", spec.Lateness)
	case spec.TTL < 0:
		return bad("window ttl %v: must not be negative", spec.TTL)
	case spec.TTL > 0 && spec.TTL <= MinWindowTTL(spec.Size, spec.Lateness):
		return bad("window ttl %v: not longer than size %v + lateness %v: state would expire before its window fires",
			spec.TTL, spec.Size, spec.Lateness)
	case len(spec.StatePrefix) == 0 || len(spec.TimerPrefix) == 0:
		return bad("window state and timer prefixes must not be empty")
	case bytes.HasPrefix(spec.StatePrefix, spec.TimerPrefix) || bytes.HasPrefix(spec.TimerPrefix, spec.StatePrefix):
		return bad("window state prefix %q and timer prefix %q overlap", spec.StatePrefix, spec.TimerPrefix)
	}
	key := spec.WatermarkKey
	if len(key) == 0 {
		p := spec.TimerPrefix
		if p[len(p)-1] != '/' {
			return bad("window timer prefix %q does not end in '/': set WatermarkKey", p)
		}
		key = append(append([]byte(nil), p[:len(p)-1]...), ":watermark"...)
	}
	if bytes.HasPrefix(key, spec.StatePrefix) || bytes.HasPrefix(key, spec.TimerPrefix) {
		return bad("window watermark key %q lies under the state or timer prefix", key)
	}
	return key, runtime.CheckKey(key)
}

// MinWindowTTL is size+lateness, saturated at the largest Duration: a window
// store's TTL must be longer, or state written at a window's start would
// expire by the time the window fires. stategen and WindowSpec.Validate both
// apply it.
func MinWindowTTL(size, lateness time.Duration) time.Duration { return satAdd(size, lateness) }

// satAdd is a+b, saturated at the largest Duration.
func satAdd(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// Windows is the untyped engine under generated window stores: window
// assignment, state and timer keys, merging, firing. Key fields arrive already
// encoded (the tuple encoding of the store's key), values as bytes. It is safe
// for concurrent use.
//
// # When events are late and windows fire
//
// Windows are half-open, [Start, End), aligned to the Unix epoch. Let W be the
// highest watermark FireDue has ever been given for this store — kept in the
// backend under the spec's WatermarkKey, so that it survives restarts and
// travels in checkpoints. Then:
//
//   - a window fires once, in the first FireDue whose watermark reaches
//     End+Lateness, with every event accepted for it;
//   - Add refuses an event (an error wrapping [runtime.ErrLate]) exactly when every
//     window containing it has End+Lateness <= W; otherwise it merges the event
//     into those of its windows that have not fired and drops it from the rest.
//
// Lateness counts once. Worked example, tumbling windows of 1m, lateness 5s:
// FireDue(12:01:05) fires [12:00, 12:01) (12:01 + 5s <= 12:01:05) and records
// W = 12:01:05. An event at 12:00:59 is then late: its only window ended
// 12:01 and 12:01 + 5s <= W. At W = 12:01:04.999999999 the same event would be
// accepted, and would fire with its window at 12:01:05. With slide=30s the
// event at 12:00:59 also lies in [12:00:30, 12:01:30), which is not due until
// 12:01:35: it is accepted into that window alone.
//
// # Why no accepted event is lost or fired twice
//
// Each window's state has a timer key (TimerPrefix + End + key fields),
// written before the state is first created, so that FireDue is a range scan
// over timers in end order, not a scan of all state. A new window's state is
// created by an update that refuses to create it until this Add has written
// the timer; only FireDue deletes timers, and only of due windows, whose state
// no Add may create any more. So no state is ever without its timer (a timer
// without state, left by a crash or by Delete, fires nothing and is dropped).
// Timers and the watermark key outlive the state they guard: they never
// expire where the state never does (no ttl, and a backend without a default
// TTL), else they live a century or twice the state's TTL. A backend default
// TTL that would expire state before its window fires is refused at first use.
//
// Add and FireDue meet at a read-write lock that orders the late check with
// the watermark's advance. Add holds it shared from its late check to the end
// of its writes. FireDue persists the new watermark, then takes the lock
// exclusively just to publish it: every Add that checked against the old
// watermark has finished writing when it gets the lock, and every later Add
// sees the new one. Windows that become due are therefore final before
// FireDue reads them: the state it reads holds every accepted event, and
// deleting it after the callback loses nothing. Concurrent FireDue calls claim
// windows, so none is fired by two of them. A failing callback leaves the
// window to fire again; a crash between the callback and the delete fires it
// again after the restart: at least once across crashes, exactly once
// without.
//
// The watermark is cached by the Windows value: it is read from the backend
// on first use and again after the backend reports a Restore (see
// [runtime.Generationer]). Two Windows values over the same keys — two stores, or
// processes sharing a Redis — do not see each other's watermark until they
// reload it: fire each window store from one place, and partition stores
// shared between processes with distinct prefixes.
type Windows struct {
	b       runtime.Backend
	spec    WindowSpec
	markKey []byte
	gens    runtime.Generationer // nil: the backend cannot report Restores
	// ttlErr: the backend's default TTL, which the state takes (spec.TTL
	// 0), would expire state before its window fires. Every call returns it.
	ttlErr    error
	longTTL   time.Duration
	fireMu    sync.Mutex          // guards firing
	firing    map[uint64]struct{} // hashes of the timer keys a FireDue is firing now
	claimSeed maphash.Seed
	advMu     sync.Mutex    // serializes watermark advances
	loadMu    sync.Mutex    // serializes loads of the watermark
	loadedAt  atomic.Uint64 // backend generation+1 when the watermark was loaded; 0: never

	// gate orders Add's late check against the watermark's advance (see
	// above): Add and Put hold it shared, FireDue exclusively to publish.
	gate sync.RWMutex
	// mark is W in Unix nanoseconds, math.MinInt64 before any FireDue. It
	// changes only with gate held exclusively.
	mark atomic.Int64

	// floor: no timer with End <= floor.end exists in the backend of
	// generation floor.gen (recorded after a FireDue that fired and deleted
	// every one it found), so FireDue scans timers from floor.from, past the
	// deleted ones, on a backend that can (ranged: a runtime.RangeScanner).
	ranged bool
	floor  atomic.Pointer[timerFloor]
}

// timerFloor is where FireDue's scan of timers starts: see Windows.floor.
type timerFloor struct {
	gen  uint64
	end  int64
	from []byte
}

// foreverTTL is the TTL of timers and of the watermark key: longer than any
// window lives, so that a backend's default TTL never drops them first.
const foreverTTL = 100 * 365 * 24 * time.Hour

// errRestored aborts an update that finds the backend restored since the
// watermark was loaded: the operation starts over against the new contents.
var errRestored = errors.New("statekit: backend restored under a window operation")

// errNeedsTimer aborts the update that would create a window's state before
// Add has written its timer.
var errNeedsTimer = errors.New("statekit: window state needs its timer first")

// NewWindows returns the engine for spec on b. Like regexp.MustCompile, it
// panics if spec.Validate fails: generated code passes constants that stategen
// has checked.
func NewWindows(b runtime.Backend, spec WindowSpec) *Windows {
	key, err := spec.validate()
	if err != nil {
		panic(err)
	}
	w := &Windows{b: b, spec: spec, markKey: key, firing: map[uint64]struct{}{}, claimSeed: maphash.MakeSeed()}
	w.gens, _ = b.(runtime.Generationer)
	_, w.ranged = b.(runtime.RangeScanner)
	// Timers and the watermark must outlive the state they guard: they never
	// expire where the state never does, else they live a century, or twice
	// the state's TTL if that is longer.
	stateTTL, known := spec.TTL, spec.TTL > 0
	if d, ok := b.(runtime.DefaultTTLer); ok && !known {
		stateTTL, known = d.DefaultTTL(), true
		if stateTTL > 0 && stateTTL <= satAdd(spec.Size, spec.Lateness) {
			w.ttlErr = fmt.Errorf("%w: window state takes the backend's default TTL %v, not longer than size %v + lateness %v: "+
				"it would expire before its window fires; give the window a longer ttl=", runtime.ErrInvalidArgument, stateTTL, spec.Size, spec.Lateness)
		}
	}
	if _, ok := b.(runtime.TTLWriter); ok && !(known && stateTTL == 0) {
		w.longTTL = max(foreverTTL, satAdd(stateTTL, stateTTL))
	}
	w.mark.Store(math.MinInt64)
	return w
}

// Backend returns the backend the windows are stored in.
func (w *Windows) Backend() runtime.Backend { return w.b }

// Watermark returns W, the fired watermark (read from the backend on first
// use), or the zero Time if no FireDue has made a window due. It is the
// watermark of the last FireDue that made a new window End due: later calls
// whose watermark reached no new End changed no decision, and are not
// recorded (see FireDue).
func (w *Windows) Watermark(ctx context.Context) (time.Time, error) {
	if err := w.load(ctx); err != nil {
		return time.Time{}, err
	}
	m := w.mark.Load()
	if m == math.MinInt64 {
		return time.Time{}, nil
	}
	return time.Unix(0, m).UTC(), nil
}

// load reads the watermark from the backend if it has not been read since
// the backend's last Restore.
func (w *Windows) load(ctx context.Context) error {
	if w.ttlErr != nil {
		return w.ttlErr
	}
	var gen uint64
	if w.gens != nil {
		gen = w.gens.Generation()
	}
	if w.loadedAt.Load() == gen+1 {
		return nil
	}
	w.loadMu.Lock()
	defer w.loadMu.Unlock()
	if w.loadedAt.Load() == gen+1 {
		return nil
	}
	raw, found, err := w.b.Get(ctx, w.markKey)
	if err != nil {
		return err
	}
	m := int64(math.MinInt64)
	if found {
		r := runtime.NewKeyReader(raw)
		m = r.ReadInt(64)
		if err := r.Done(); err != nil {
			return runtime.NewError("runtime", "load window watermark", w.markKey, fmt.Errorf("%w: value %x: %w", runtime.ErrCorrupt, raw, err))
		}
	}
	// Set, not raise: after a Restore the backend's watermark is the truth.
	w.gate.Lock()
	w.mark.Store(m)
	w.loadedAt.Store(gen + 1)
	w.gate.Unlock()
	return nil
}

// firedEnd is the highest window End that has fired: W - Lateness, or
// math.MinInt64 when nothing has. Call it with gate held.
func (w *Windows) firedEnd() int64 {
	m := w.mark.Load()
	if m == math.MaxInt64 {
		return math.MaxInt64 // FireDue saw the end of time: everything fired
	}
	if m < math.MinInt64+int64(w.spec.Lateness) {
		return math.MinInt64
	}
	return m - int64(w.spec.Lateness)
}

// stateKeyOf is the state key of the window starting at start, for errors.
func (w *Windows) stateKeyOf(fields []byte, start time.Time) []byte {
	key, _ := w.stateKey(nil, fields, start)
	return key
}

func (w *Windows) stateKey(dst, fields []byte, start time.Time) ([]byte, error) {
	dst = append(append(dst, w.spec.StatePrefix...), fields...)
	return runtime.AppendKeyTime(dst, start)
}

func (w *Windows) timerKey(dst, fields []byte, end time.Time) ([]byte, error) {
	dst, err := runtime.AppendKeyTime(append(dst, w.spec.TimerPrefix...), end)
	if err != nil {
		return dst, err
	}
	return append(dst, fields...), nil
}

// Add merges an event at time at into every window containing it that has not
// fired, with merge (an runtime.UpdateFunc over the encoded state). If all of them
// have fired, Add writes nothing and returns an error wrapping runtime.ErrLate. Any
// other error may come after some of a sliding event's windows took it: Add
// is atomic per window, not across windows, so retrying it may count the
// event twice in those.
func (w *Windows) Add(ctx context.Context, fields []byte, at time.Time, merge runtime.UpdateFunc) error {
	var buf [8]runtime.Window
	wins, err := runtime.AppendWindows(buf[:0], at, w.spec.Size, w.spec.Slide)
	if err != nil {
		return err
	}
	for {
		err := w.add(ctx, fields, at, wins, merge)
		if !errors.Is(err, errRestored) {
			return err
		}
		// The backend was restored under this Add: do it again against the
		// restored contents and their watermark.
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

func (w *Windows) add(ctx context.Context, fields []byte, at time.Time, wins []runtime.Window, merge runtime.UpdateFunc) error {
	if err := w.load(ctx); err != nil {
		return err
	}
	n := len(fields) + max(len(w.spec.StatePrefix), len(w.spec.TimerPrefix)) + 8
	key := make([]byte, 0, n)
	var timerWritten bool

	w.gate.RLock()
	defer w.gate.RUnlock()
	gen := w.loadedAt.Load()
	update := func(old []byte, found bool) ([]byte, bool, error) {
		if w.restoredSince(gen) {
			return nil, false, errRestored
		}
		if !found && !timerWritten {
			return nil, false, errNeedsTimer
		}
		return merge(old, found)
	}
	fired := w.firedEnd()
	added := 0
	for _, win := range wins {
		if win.End.UnixNano() <= fired {
			continue
		}
		var err error
		if key, err = w.stateKey(key[:0], fields, win.Start); err != nil {
			return err
		}
		timerWritten = false
		err = runtime.UpdateTTL(ctx, w.b, key, w.spec.TTL, update)
		if errors.Is(err, errNeedsTimer) {
			if err := w.putTimer(ctx, fields, win.End); err != nil {
				return err
			}
			timerWritten = true
			err = runtime.UpdateTTL(ctx, w.b, key, w.spec.TTL, update)
		}
		if errors.Is(err, runtime.ErrCorrupt) {
			return fmt.Errorf("%w (window %v, state key %s)", err, win, runtime.AppendQuotedKey(nil, key))
		}
		if err != nil {
			return err
		}
		added++
	}
	if added == 0 {
		return fmt.Errorf("event at %v: %w", at, runtime.ErrLate)
	}
	return nil
}

// restoredSince reports whether the backend has been restored since the
// watermark was loaded at generation+1 loadedAt. Checked inside updates, it
// orders them against a Restore: an update admitted before the Restore
// commits before it (and is replaced by it); one after sees the new
// generation and starts over against the restored watermark.
func (w *Windows) restoredSince(loadedAt uint64) bool {
	return w.gens != nil && w.gens.Generation()+1 != loadedAt
}

// putTimer writes the timer of the window of fields ending at end.
func (w *Windows) putTimer(ctx context.Context, fields []byte, end time.Time) error {
	tk, err := w.timerKey(nil, fields, end)
	if err != nil {
		return err
	}
	return runtime.PutTTL(ctx, w.b, tk, []byte{}, w.longTTL)
}

// Get returns the state of one window.
func (w *Windows) Get(ctx context.Context, fields []byte, win runtime.Window) ([]byte, bool, error) {
	key, err := w.stateKey(nil, fields, win.Start)
	if err != nil {
		return nil, false, err
	}
	return w.b.Get(ctx, key)
}

// Put replaces the state of one window, writing its timer first. A window
// that has fired is refused with an error wrapping runtime.ErrLate, as Add refuses
// its events: it would fire a second time.
func (w *Windows) Put(ctx context.Context, fields []byte, win runtime.Window, value []byte) error {
	if err := w.checkWindow(win); err != nil {
		return err
	}
	key, err := w.stateKey(nil, fields, win.Start)
	if err != nil {
		return err
	}
	for {
		err := w.put(ctx, fields, key, win, value)
		if !errors.Is(err, errRestored) {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

func (w *Windows) put(ctx context.Context, fields, key []byte, win runtime.Window, value []byte) error {
	if err := w.load(ctx); err != nil {
		return err
	}
	w.gate.RLock()
	defer w.gate.RUnlock()
	gen := w.loadedAt.Load()
	if win.End.UnixNano() <= w.firedEnd() {
		return fmt.Errorf("window %v: %w", win, runtime.ErrLate)
	}
	if err := w.putTimer(ctx, fields, win.End); err != nil {
		return err
	}
	return runtime.UpdateTTL(ctx, w.b, key, w.spec.TTL, func([]byte, bool) ([]byte, bool, error) {
		if w.restoredSince(gen) {
			return nil, false, errRestored
		}
		return value, true, nil
	})
}

// checkWindow refuses a window that is not one of the store's.
func (w *Windows) checkWindow(win runtime.Window) error {
	if win.End.Sub(win.Start) != w.spec.Size || floorDiv(win.Start.UnixNano(), int64(w.spec.Slide))*int64(w.spec.Slide) != win.Start.UnixNano() {
		return fmt.Errorf("%w: window %v is not a window of size %v aligned to %v", runtime.ErrInvalidArgument, win, w.spec.Size, w.spec.Slide)
	}
	return nil
}

// Delete removes the state of one window. Its timer stays until the window is
// due, when FireDue drops it without calling fn: deleting the timer here could
// race an Add that is recreating the window and leave state without a timer.
func (w *Windows) Delete(ctx context.Context, fields []byte, win runtime.Window) error {
	key, err := w.stateKey(nil, fields, win.Start)
	if err != nil {
		return err
	}
	return w.b.Delete(ctx, key)
}

// Scan calls fn for every window of one key, by start time.
func (w *Windows) Scan(ctx context.Context, fields []byte, fn func(win runtime.Window, value []byte) error) error {
	prefix := append(append([]byte(nil), w.spec.StatePrefix...), fields...)
	return w.b.Scan(ctx, prefix, func(k, v []byte) error {
		r := runtime.NewKeyReader(k[len(prefix):])
		start := r.ReadTime()
		if err := r.Done(); err != nil {
			return fmt.Errorf("window state key %q: %w", k, err)
		}
		return fn(runtime.Window{Start: start, End: start.Add(w.spec.Size)}, v)
	})
}

// fireBatch bounds how many due timers FireDue collects per scan; fireChunk
// how many windows it claims at once (claims are released per chunk).
const (
	fireBatch = 1 << 16
	fireChunk = 512
)

// FireDue calls fn for every window with End+Lateness <= watermark, oldest end
// first (then by key), and deletes its state and timer after fn returns nil. It
// returns how many windows it fired. If fn fails, FireDue stops and returns the
// error; that window and the ones after it stay, to fire again. A crash
// between fn and the deletes fires the window again: delivery is at least once.
//
// FireDue first records watermark in the backend if it makes a window End due
// that no earlier call did (one write per window end, not per call), and from
// then on Add refuses events for the windows it makes due (runtime.ErrLate).
// Concurrent calls share the work: a window being fired by one is skipped by
// the others. fn may call Add, but not FireDue of the same Windows for a
// window it is firing (that one is skipped).
func (w *Windows) FireDue(ctx context.Context, watermark time.Time, fn func(fields []byte, win runtime.Window, value []byte) error) (int, error) {
	if watermark.Before(minKeyTime) {
		return 0, nil
	}
	wm := int64(math.MaxInt64) // the end of time: every window is due, as Flink's Long.MAX_VALUE
	if !watermark.After(maxKeyTime) {
		wm = watermark.UnixNano()
	}
	total := 0
	for {
		n, err := w.fireDue(ctx, wm, fn)
		total += n
		if !errors.Is(err, errRestored) {
			return total, err
		}
		// The backend was restored under this FireDue: what it fired stays
		// fired; start over against the restored contents and watermark.
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

func (w *Windows) fireDue(ctx context.Context, wm int64, fn func(fields []byte, win runtime.Window, value []byte) error) (int, error) {
	if err := w.load(ctx); err != nil {
		return 0, err
	}
	gen := w.loadedAt.Load()
	if err := w.advance(ctx, wm, gen); err != nil {
		return 0, err
	}
	lastDue, ok := w.dueEnd(wm)
	if !ok {
		return 0, nil
	}
	limit := time.Unix(0, lastDue)
	fired := 0
	from := w.scanStart(gen)
	all := true // every due timer seen was fired by this call
	for {
		var due [][]byte
		visit := func(k, _ []byte) error {
			r := runtime.NewKeyReader(k)
			r.ReadPrefix(w.spec.TimerPrefix)
			end := r.ReadTime()
			if err := r.Err(); err != nil {
				return runtime.NewError("runtime", "fire", k, fmt.Errorf("window timer: %w", err))
			}
			if end.After(limit) {
				return runtime.SkipAll
			}
			due = append(due, append([]byte(nil), k...))
			if len(due) == fireBatch {
				return runtime.SkipAll
			}
			return nil
		}
		var err error
		if len(from) > len(w.spec.TimerPrefix) {
			err = runtime.ScanFrom(ctx, w.b, w.spec.TimerPrefix, from, visit)
		} else {
			err = w.b.Scan(ctx, w.spec.TimerPrefix, visit)
		}
		if err != nil {
			return fired, err
		}
		if w.restoredSince(gen) {
			// The scan may have started from the floor of the contents the
			// Restore replaced, and missed timers it brought back.
			return fired, errRestored
		}
		scanned := len(due)
		claimed := 0
		if scanned > 0 {
			from = append(bytes.Clone(due[scanned-1]), 0) // the next scan starts past this one's timers
		}
		for len(due) > 0 {
			chunk := due[:min(fireChunk, len(due))]
			due = due[len(chunk):]
			n, c, err := w.fireChunk(ctx, chunk, fn, gen)
			fired += n
			claimed += c
			if err != nil {
				return fired, err
			}
		}
		all = all && claimed == scanned
		if scanned < fireBatch || claimed == 0 {
			break
		}
	}
	if all {
		w.raiseFloor(gen, lastDue)
	}
	return fired, nil
}

// scanStart is where FireDue's scan of timers may start in the backend's
// generation gen: past every timer known deleted, else at the first timer.
func (w *Windows) scanStart(gen uint64) []byte {
	if f := w.floor.Load(); f != nil && f.gen == gen {
		return f.from
	}
	return w.spec.TimerPrefix
}

// raiseFloor records that no timer with End <= end is left in generation gen:
// FireDue fired and deleted every one it found, and none can be written any
// more (their windows are due: Add and Put refuse them). It allocates only
// when the floor moves, once per window end.
func (w *Windows) raiseFloor(gen uint64, end int64) {
	if !w.ranged || end == math.MaxInt64 {
		return
	}
	for {
		old := w.floor.Load()
		if old != nil && (old.gen > gen || old.gen == gen && old.end >= end) {
			return // generations only grow: an older one's floor is no news
		}
		from, err := runtime.AppendKeyTime(bytes.Clone(w.spec.TimerPrefix), time.Unix(0, end+1))
		if err != nil {
			return
		}
		if w.floor.CompareAndSwap(old, &timerFloor{gen: gen, end: end, from: from}) {
			return
		}
	}
}

// advance records wm as the fired watermark if it makes a window end due that
// the recorded one did not: durably first, then in memory behind the gate, so
// that once FireDue reads a due window no Add can still be writing to it.
//
// Every window End of a store lies on one grid (a multiple of Slide plus
// Size), and every decision W takes — which windows are due, which events are
// late — depends only on the last grid End at or before W-Lateness. A
// watermark that does not reach a new grid End changes no decision, so it is
// not recorded: a processor ticking FireDue many times per window pays for
// one backend write per window end, not per tick.
func (w *Windows) advance(ctx context.Context, wm int64, gen uint64) error {
	w.advMu.Lock()
	defer w.advMu.Unlock()
	cur := w.mark.Load()
	if next, ok := w.dueEnd(wm); !ok {
		return nil
	} else if prev, ok := w.dueEnd(cur); ok && next <= prev {
		return nil
	}
	err := runtime.UpdateTTL(ctx, w.b, w.markKey, w.longTTL, func([]byte, bool) ([]byte, bool, error) {
		if w.restoredSince(gen) {
			return nil, false, errRestored
		}
		return runtime.AppendKeyInt(nil, wm), true, nil
	})
	if err != nil {
		return err
	}
	w.gate.Lock()
	w.mark.Store(wm)
	w.gate.Unlock()
	return nil
}

// dueEnd is the last grid End at or before wm-Lateness, and false if there is
// none in the int64 range.
func (w *Windows) dueEnd(wm int64) (int64, bool) {
	if wm == math.MaxInt64 {
		return math.MaxInt64, true // the end of time: everything is due
	}
	late, size, slide := int64(w.spec.Lateness), int64(w.spec.Size), int64(w.spec.Slide)
	if wm < math.MinInt64+late {
		return 0, false
	}
	y := wm - late
	if y < math.MinInt64+size {
		return 0, false
	}
	return floorDiv(y-size, slide)*slide + size, true
}

// claim marks the window of timer tk as being fired, unless another FireDue
// has, and returns the mark: the key's 64-bit hash, so that it allocates
// nothing (two windows whose hashes meet while both fire wait for the next
// FireDue).
func (w *Windows) claim(tk []byte) (uint64, bool) {
	h := maphash.Bytes(w.claimSeed, tk)
	w.fireMu.Lock()
	defer w.fireMu.Unlock()
	if _, busy := w.firing[h]; busy {
		return 0, false
	}
	w.firing[h] = struct{}{}
	return h, true
}

// release drops the marks of claim.
func (w *Windows) release(held []uint64) {
	w.fireMu.Lock()
	for _, h := range held {
		delete(w.firing, h)
	}
	w.fireMu.Unlock()
}

// fireChunk fires the windows of due timers, claiming each (skipping those
// another FireDue has claimed) until its state and timer are deleted, so that
// no other FireDue fires a window twice. It returns how many windows fired and
// how many timers it claimed.
//
// On a backend with batches (runtime.Batcher), the deletes of the chunk's
// windows are committed together after their callbacks, rather than two
// transactions per window: 500 due windows among a million on Badger went
// from 9 ms to 4 ms. A crash before the commit fires them again, as a crash
// between a callback and its delete always did: at least once. A failing
// callback stops the chunk, and the windows fired before it are deleted.
func (w *Windows) fireChunk(ctx context.Context, timers [][]byte, fn func(fields []byte, win runtime.Window, value []byte) error, gen uint64) (fired, claimed int, err error) {
	held := make([]uint64, 0, len(timers))
	defer func() { w.release(held) }()
	var batch runtime.Batch
	if bb, ok := w.b.(runtime.Batcher); ok {
		batch = bb.NewBatch()
		defer batch.Discard()
	}
	for _, tk := range timers {
		h, ok := w.claim(tk)
		if !ok {
			continue // another FireDue is firing it
		}
		held = append(held, h)
		if w.restoredSince(gen) {
			return fired, len(held), errRestored
		}
		ok, err := w.fire(ctx, tk, fn, gen, batch)
		if ok {
			fired++
		}
		if err != nil {
			// The callback's error is FireDue's, as it is: a commit that
			// fails as well is joined to it, and one a Restore overtook is
			// not (FireDue would start over, and drop the callback's error).
			if batch != nil {
				if cerr := w.commit(ctx, batch, gen); cerr != nil && !errors.Is(cerr, errRestored) {
					err = errors.Join(err, cerr)
				}
			}
			return fired, len(held), err
		}
	}
	if batch != nil {
		return fired, len(held), w.commit(ctx, batch, gen)
	}
	return fired, len(held), nil
}

// fire calls fn with the state of the window of one due timer, and then
// deletes the state and the timer, or adds their deletes to batch. It reports
// whether fn was called.
func (w *Windows) fire(ctx context.Context, timerKey []byte, fn func(fields []byte, win runtime.Window, value []byte) error, gen uint64, batch runtime.Batch) (bool, error) {
	r := runtime.NewKeyReader(timerKey)
	r.ReadPrefix(w.spec.TimerPrefix)
	end := r.ReadTime()
	fields := r.Rest()
	win := runtime.Window{Start: end.Add(-w.spec.Size), End: end}
	key, err := w.stateKey(nil, fields, win.Start)
	if err != nil {
		return false, err
	}
	value, found, err := w.b.Get(ctx, key)
	if err != nil {
		return false, err
	}
	if found {
		if err := fn(fields, win, value); err != nil {
			return false, err
		}
		if err := w.delete(ctx, key, gen, batch); err != nil {
			return true, err
		}
	}
	return found, w.delete(ctx, timerKey, gen, batch)
}

// delete deletes key, or adds its delete to batch, unless the backend was
// restored since generation gen (the key then belongs to the restored
// contents). A Restore between the check and the delete is the one case left
// to the caller: do not restore a backend while a FireDue runs on it.
func (w *Windows) delete(ctx context.Context, key []byte, gen uint64, batch runtime.Batch) error {
	if w.restoredSince(gen) {
		return errRestored
	}
	if batch != nil {
		return batch.Delete(key)
	}
	return w.b.Delete(ctx, key)
}

// commit commits a chunk's deletes unless the backend was restored since
// generation gen. Their callbacks have run: a cancelled ctx does not stop
// the commit, which would only make those windows fire again.
func (w *Windows) commit(ctx context.Context, batch runtime.Batch, gen uint64) error {
	if w.restoredSince(gen) {
		return errRestored
	}
	return batch.Commit(context.WithoutCancel(ctx))
}

// The instants the key encoding can hold (Unix nanoseconds in an int64).
var (
	minKeyTime = time.Unix(0, math.MinInt64)
	maxKeyTime = time.Unix(0, math.MaxInt64)
)

// floorDiv is a/b rounded toward negative infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
