package names

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestExtremeWindows: a window as long as the key encoding allows and one a
// nanosecond long, through the generic WindowStore: every accepted event
// fires once, late ones are refused.
func TestExtremeWindows(t *testing.T) {
	ctx := context.Background()
	b := memory.New(memory.Options{})
	defer b.Close()
	huge, tiny := NewHugeStore(b), NewTinyStore(b)
	at := time.Unix(1_700_000_000, 123).UTC()
	for i := range 5 {
		if err := huge.Add(ctx, at.Add(time.Duration(i)), Huge{Who: "h"}); err != nil {
			t.Fatalf("huge Add: %v", err)
		}
		if err := tiny.Add(ctx, at.Add(time.Duration(i)), Tiny{Who: "t"}); err != nil {
			t.Fatalf("tiny Add: %v", err)
		}
	}
	var hugeN, tinyN int64
	n, err := tiny.FireDue(ctx, at.Add(5), func(_ TinyKey, w runtime.Window, v Tiny) error {
		if w.End.Sub(w.Start) != time.Nanosecond {
			t.Errorf("tiny window %v", w)
		}
		tinyN += v.N
		return nil
	})
	if err != nil || n != 5 || tinyN != 5 {
		t.Errorf("tiny FireDue: %d windows, %d events, %v; want 5, 5", n, tinyN, err)
	}
	if err := tiny.Add(ctx, at, Tiny{Who: "t"}); !errors.Is(err, runtime.ErrLate) {
		t.Errorf("tiny Add after its window fired: %v, want ErrLate", err)
	}
	n, err = huge.FireDue(ctx, time.Unix(0, 1<<62), func(_ HugeKey, w runtime.Window, v Huge) error {
		hugeN += v.N
		return nil
	})
	if err != nil {
		t.Fatalf("huge FireDue: %v", err)
	}
	n2, err := huge.FireDue(ctx, time.Unix(1<<40, 0), func(_ HugeKey, w runtime.Window, v Huge) error {
		hugeN += v.N
		return nil
	})
	if err != nil || n+n2 != 1 || hugeN != 5 {
		t.Errorf("huge FireDue: %d windows, %d events, %v; want 1, 5", n+n2, hugeN, err)
	}
}
