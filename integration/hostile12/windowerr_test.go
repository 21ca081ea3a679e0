package hostile12_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/integration/stores"
	"github.com/statekit/statekit/runtime"
)

// TestWindowCorruptErrorsNameTheStateKey: a window state that does not
// decode is reported with the key it is stored under (prefix, key fields,
// window start), so that statectl dump can find it. The window store passes
// only the encoded key fields to CorruptValue (in Add's merge, Get, Windows
// and FireDue): the message names "u\x00\x01", which is no key of the
// backend, and not which window.
func TestWindowCorruptErrorsNameTheStateKey(t *testing.T) {
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		b := open(t)
		ws := stores.NewTumblingStore(b)
		at := time.Unix(1_700_000_000, 0).UTC()
		k := stores.TumblingKey{Key: []byte("u")}
		if err := ws.Add(ctx, at, stores.Tumbling{Key: k.Key}); err != nil {
			t.Fatal(err)
		}
		win := runtime.Window{Start: at.Truncate(10 * time.Second), End: at.Truncate(10 * time.Second).Add(10 * time.Second)}
		stateKey, _ := k.AppendKey([]byte("w/Tumbling/"))
		stateKey, _ = runtime.AppendKeyTime(stateKey, win.Start)
		if _, found, _ := b.Get(ctx, stateKey); !found {
			t.Fatalf("no state under %q", stateKey)
		}
		if err := b.Put(ctx, stateKey, []byte{0xa1, 0x61, 'N', 0x61, 'x'}); err != nil { // {"N": "x"}
			t.Fatal(err)
		}
		quoted := string(runtime.AppendQuotedKey(nil, stateKey))
		addErr := ws.Add(ctx, at, stores.Tumbling{Key: k.Key})
		_, _, getErr := ws.Get(ctx, k, win)
		_, fireErr := ws.FireDue(ctx, at.Add(time.Hour), func(stores.TumblingKey, runtime.Window, stores.Tumbling) error { return nil })
		for name, err := range map[string]error{"Add": addErr, "Get": getErr, "FireDue": fireErr} {
			if !errors.Is(err, runtime.ErrCorrupt) {
				t.Errorf("%s: %v, want ErrCorrupt", name, err)
				continue
			}
			if !strings.Contains(err.Error(), quoted) {
				t.Errorf("%s: %v\nnames no state key %s", name, err, quoted)
			}
		}
	})
}
