package runtime

import "time"

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
