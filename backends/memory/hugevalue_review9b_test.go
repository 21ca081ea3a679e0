package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestReview9bValueOf4GiB: an item keeps its value's length in a uint32
// (table.go, newItem), and nothing refuses a longer value, so a value of
// 4 GiB + 8 bytes is stored as its first 8 bytes: silent truncation. It must
// be stored whole or refused with an error wrapping ErrInvalidArgument. It
// needs 4 GiB of memory for a moment (the item's copy), so it is skipped with
// -short.
func TestReview9bValueOf4GiB(t *testing.T) {
	if testing.Short() {
		t.Skip("copies 4 GiB")
	}
	ctx := context.Background()
	b := memory.New(memory.Options{})
	defer b.Close()
	const n = 1<<32 + 8
	err := b.Put(ctx, []byte("huge"), make([]byte, n))
	if err != nil {
		if !errors.Is(err, runtime.ErrInvalidArgument) {
			t.Fatalf("Put of %d bytes: %v; want stored, or an error wrapping ErrInvalidArgument", n, err)
		}
		return
	}
	v, found, err := b.Get(ctx, []byte("huge"))
	if err != nil || !found || len(v) != n {
		t.Fatalf("Put of %d bytes returned nil; Get = %d bytes, %v, %v", n, len(v), found, err)
	}
}
