package hostile12_test

import (
	"errors"
	"testing"
	"time"

	"github.com/statekit/statekit/integration/stores"
	"github.com/statekit/statekit/runtime"
)

// TestStoresRefuseWhatUnmarshalCBORRefuses: the stores' keyless decode
// (Schema.Decode, SkipKeys) skips the key fields of a stored value without
// looking at them, so a value whose key field has the wrong type — which
// UnmarshalCBOR, CBORDecMode, statectl and generator v1's stores all refuse
// as corrupt — is returned by Get, Scan, Windows and FireDue as if it were
// sound. Worse, whether it is depends on unrelated fields: the same bad key
// field next to a field that sends the fast path to reflection is refused.
// Generator v1 returned runtime.ErrCorrupt for every case here.
func TestStoresRefuseWhatUnmarshalCBORRefuses(t *testing.T) {
	// {"Tenant": 5, "Calls": 1}: Tenant is a string field.
	badKey := []byte{0xa2, 0x66, 'T', 'e', 'n', 'a', 'n', 't', 0x05, 0x65, 'C', 'a', 'l', 'l', 's', 0x01}
	// {"UserID": h'00', "Clicks": 1}: UserID is a string field.
	badWindowKey := []byte{0xa2, 0x66, 'U', 's', 'e', 'r', 'I', 'D', 0x41, 0x00, 0x66, 'C', 'l', 'i', 'c', 'k', 's', 0x01}
	var m stores.ModelLatency
	if err := m.UnmarshalCBOR(badKey); err == nil {
		t.Fatal("UnmarshalCBOR accepts the bad aggregate value: the test's premise is wrong")
	}
	var c stores.ClickWindow
	if err := c.UnmarshalCBOR(badWindowKey); err == nil {
		t.Fatal("UnmarshalCBOR accepts the bad window value: the test's premise is wrong")
	}
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		b := open(t)
		s := stores.NewModelLatencyStore(b)
		k := stores.ModelLatencyKey{Tenant: "t", Model: "m"}
		key, _ := k.AppendKey([]byte("a/ModelLatency/"))
		if err := b.Put(ctx, key, badKey); err != nil {
			t.Fatal(err)
		}
		if v, _, err := s.Get(ctx, k); !errors.Is(err, runtime.ErrCorrupt) {
			t.Errorf("Get of a value UnmarshalCBOR refuses: %+v, %v; want an error wrapping ErrCorrupt", v, err)
		}
		if err := s.Scan(ctx, func(stores.ModelLatency) error { return nil }); !errors.Is(err, runtime.ErrCorrupt) {
			t.Errorf("Scan over a value UnmarshalCBOR refuses: %v; want an error wrapping ErrCorrupt", err)
		}

		ws := stores.NewClickWindowStore(b)
		at := time.Unix(1_700_000_000, 0).UTC()
		wk := stores.ClickWindowKey{UserID: "u"}
		if err := ws.Add(ctx, at, stores.ClickWindow{UserID: "u"}); err != nil {
			t.Fatal(err)
		}
		var win runtime.Window
		if err := ws.Windows(ctx, wk, func(w runtime.Window, _ stores.ClickWindow) error { win = w; return runtime.SkipAll }); err != nil {
			t.Fatal(err)
		}
		// Overwrite the window's state with the bad value, under its own key.
		stateKey, _ := wk.AppendKey([]byte("w/ClickWindow/"))
		stateKey, _ = runtime.AppendKeyTime(stateKey, win.Start)
		if _, found, _ := b.Get(ctx, stateKey); !found {
			t.Fatalf("no window state under %q", stateKey)
		}
		if err := b.Put(ctx, stateKey, badWindowKey); err != nil {
			t.Fatal(err)
		}
		if v, _, err := ws.Get(ctx, wk, win); !errors.Is(err, runtime.ErrCorrupt) {
			t.Errorf("window Get of a value UnmarshalCBOR refuses: %+v, %v; want an error wrapping ErrCorrupt", v, err)
		}
		if _, err := ws.FireDue(ctx, at.Add(time.Hour), func(stores.ClickWindowKey, runtime.Window, stores.ClickWindow) error { return nil }); !errors.Is(err, runtime.ErrCorrupt) {
			t.Errorf("FireDue of a value UnmarshalCBOR refuses: %v; want an error wrapping ErrCorrupt", err)
		}
	})
}
