package runtime

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Window is the half-open time interval [Start, End) of an event-time window.
type Window struct {
	Start, End time.Time
}

// Contains reports whether t falls in [Start, End).
func (w Window) Contains(t time.Time) bool {
	return !t.Before(w.Start) && t.Before(w.End)
}

// Size is End - Start.
func (w Window) Size() time.Duration { return w.End.Sub(w.Start) }

// String formats w as [Start, End) in RFC 3339 with nanoseconds.
func (w Window) String() string {
	return "[" + w.Start.Format(time.RFC3339Nano) + ", " + w.End.Format(time.RFC3339Nano) + ")"
}

// ErrLate is returned by Windows.Add for an event all of whose windows have
// already fired: their End plus the allowed lateness is at or before the
// highest watermark FireDue was ever given. The event is dropped.
var ErrLate = errors.New("statekit: event too late: its windows have fired")

// MaxWindowsPerEvent bounds how many sliding windows may contain one event
// (size/slide, rounded up): each Add writes to every one of them, so a
// directive such as size=24h slide=1ns would make one Add write forever.
const MaxWindowsPerEvent = 1000

// WindowsPerEvent is the most windows of size, sliding by slide, that contain
// one instant: size/slide rounded up. stategen and WindowSpec.Validate hold it
// to MaxWindowsPerEvent.
func WindowsPerEvent(size, slide time.Duration) int64 {
	n := int64(size / slide)
	if size%slide != 0 {
		n++
	}
	return n
}

// AppendWindows appends the windows of the given size, sliding by slide and
// aligned to the Unix epoch, that contain at, oldest first. A tumbling window
// has slide == size: one window. size and slide must be positive and slide at
// most size; at must lie in the years 1678-2262 (Unix nanoseconds).
func AppendWindows(dst []Window, at time.Time, size, slide time.Duration) ([]Window, error) {
	if size <= 0 || slide <= 0 || slide > size || WindowsPerEvent(size, slide) > MaxWindowsPerEvent {
		return dst, fmt.Errorf("%w: window size %v, slide %v (at most %d windows per event)", ErrInvalidArgument, size, slide, MaxWindowsPerEvent)
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

// Generationer is implemented by backends whose whole contents can be
// replaced (by Restore): Generation changes whenever they are. Values cached
// above the backend, such as a window store's fired watermark, compare it to
// notice a restore and reload.
type Generationer interface {
	Generation() uint64
}
