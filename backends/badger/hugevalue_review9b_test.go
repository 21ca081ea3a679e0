package badger_test

import (
	"context"
	"errors"
	"testing"

	"github.com/statekit/statekit/runtime"
)

// TestReview9bValueOfOneGiB: the package says values of 1 MiB and more are
// refused only by an in-memory Badger, "on disk there is no such limit". But
// Badger refuses a value as large as its value-log file (1 GiB by default)
// with its own error, which wraps no runtime sentinel (and carries a hex dump
// of the value's first KiB into whatever logs it). Such a value must be
// stored, or refused with an error wrapping runtime.ErrInvalidArgument that
// says why, on every write path. Batches and Restore fail the same way (they
// are left out here because they copy the value first: 2 GiB and 5 s); Put and
// Update never touch it, so it costs address space, not memory, while it is
// refused.
func TestReview9bValueOfOneGiB(t *testing.T) {
	ctx := context.Background()
	huge := make([]byte, 1<<30)
	cases := []struct {
		name  string
		write func() error
	}{
		{"Put", func() error { return openCached(t, 1<<20).Put(ctx, []byte("huge"), huge) }},
		{"Update", func() error {
			return openCached(t, 1<<20).Update(ctx, []byte("huge"), 0, func([]byte, bool) ([]byte, bool, error) { return huge, true, nil })
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.write(); err != nil && !errors.Is(err, runtime.ErrInvalidArgument) {
				t.Fatalf("a 1 GiB value: %.200v; want stored, or an error wrapping ErrInvalidArgument", err)
			}
		})
	}
}
