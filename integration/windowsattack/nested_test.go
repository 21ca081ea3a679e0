package windowsattack_test

import (
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

func nested(t *testing.T, b runtime.Backend) {
	sp := spec(time.Nanosecond*10, time.Nanosecond*10, 0, 0)
	w := stateimpl.NewWindows(b, sp)
	for i := 0; i < 2000; i++ {
		if err := w.Add(ctx, []byte{'k', byte(i % 7)}, time.Unix(0, int64(i)), add1); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]int{}
	total := 0
	depth := 0
	var fn func(f []byte, win runtime.Window, v []byte) error
	fn = func(f []byte, win runtime.Window, v []byte) error {
		seen[string(f)+win.String()]++
		total += int(v[0])
		if depth < 3 {
			depth++
			_, err := w.FireDue(ctx, time.Unix(0, int64(depth)*600), fn)
			depth--
			return err
		}
		return nil
	}
	if _, err := w.FireDue(ctx, time.Unix(0, 500), fn); err != nil {
		t.Fatal(err)
	}
	if _, err := w.FireDue(ctx, time.Unix(0, 5000), fn); err != nil {
		t.Fatal(err)
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("window %q fired %d times", k, n)
		}
	}
	if total != 2000 {
		t.Fatalf("fired %d events, accepted 2000", total)
	}
}

func TestHeldNestedFireDueMemory(t *testing.T) { nested(t, memory.New(memory.Options{})) }
func TestHeldNestedFireDueBadger(t *testing.T) {
	b, err := badger.Open(ctx, badger.NewConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	nested(t, b)
}
