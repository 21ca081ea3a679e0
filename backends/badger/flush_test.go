package badger

import (
	"testing"

	_ "github.com/statekit/statekit/internal/golden"
)

func TestCrossesMultiple(t *testing.T) {
	tests := []struct {
		from, to, every uint64
		want            bool
	}{
		{0, 1, 10, false},
		{0, 10, 10, true}, // the 10th write
		{9, 10, 10, true},
		{10, 11, 10, false},
		{10, 19, 10, false},
		{15, 25, 10, true}, // a batch of 10 that spans the 20th write
		{0, 1, 1, true},
		{7, 7, 3, false}, // no writes
		{0, 100, 25, true},
	}
	for _, tc := range tests {
		if got := crossesMultiple(tc.from, tc.to, tc.every); got != tc.want {
			t.Errorf("crossesMultiple(%d, %d, %d) = %v, want %v", tc.from, tc.to, tc.every, got, tc.want)
		}
	}
}
