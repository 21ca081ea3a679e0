package windows_test

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// modelWindow is one window of one key in the reference model.
type modelWindow struct {
	Key        string
	Start, End int64
}

// modelFiring is what FireDue reported for one window.
type modelFiring struct {
	Key        string
	Start, End int64
	IDs        []uint64
}

// modelState is the brute-force reference: every window's events and the
// highest watermark fired.
type modelState struct {
	windows map[modelWindow][]uint64
	mark    int64
}

func (m modelState) clone() modelState {
	c := modelState{windows: map[modelWindow][]uint64{}, mark: m.mark}
	for k, v := range m.windows {
		c.windows[k] = slices.Clone(v)
	}
	return c
}

// TestWindowsMatchModel runs random interleavings of Add, FireDue, restart
// (a new engine over the same backend), checkpoint (a snapshot) and restore
// of any earlier checkpoint under the live engine, for random window shapes,
// against a brute-force model of the rule: an event goes to each of its
// windows with End+lateness > W and is refused when there is none; FireDue(wm)
// fires each window with End+lateness <= wm once, oldest end first, then by
// key, with every event accepted for it.
func TestWindowsMatchModel(t *testing.T) {
	checkWindowsModel(t, func(*rapid.T) runtime.Backend { return memory.New(memory.Options{}) })
}

var _ = fmt.Sprint
