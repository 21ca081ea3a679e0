package hostile11_test

import (
	"context"
	"math"
	"os"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

func TestProbeFixtures(t *testing.T) {
	dir := os.Getenv("H11FX")
	if dir == "" {
		t.Skip()
	}
	os.MkdirAll(dir+"/plain", 0o755)
	os.MkdirAll(dir+"/odd", 0o755)
	makeCheckpoint(t, dir+"/plain", false, simple(50))
	makeCheckpoint(t, dir+"/odd", false, func(ctx context.Context, b *memory.Backend) {
		m := func(v any) []byte { x, err := runtime.CBOREncMode.Marshal(v); if err != nil { t.Fatal(err) }; return x }
		put(t, b, []byte("v/nan"), m(math.NaN()))
		put(t, b, []byte("v/inf"), m(math.Inf(-1)))
		put(t, b, []byte("v/badutf8"), m("a\xffb"))
		put(t, b, []byte("v/tag"), m(cbor.Tag{Number: 55799, Content: map[any]any{1: "x", "1": "y", "1#2": "z"}}))
		put(t, b, []byte("v/nested"), m(map[string]any{"a": map[string]any{"b": []any{1, 2, map[int]any{3: []byte{0, 1}}}}}))
		put(t, b, []byte("v/bytekey"), []byte{0xa1, 0x42, 0x00, 0x01, 0x01})
		put(t, b, []byte("v/arraykey"), []byte{0xa1, 0x81, 0x01, 0x01})
		put(t, b, []byte("v/epoch"), []byte{0xc1, 0x1a, 0x5f, 0x00, 0x00, 0x00})
		put(t, b, []byte("v/epochbig"), []byte{0xc1, 0x1b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		put(t, b, []byte("v/bignum"), []byte{0xc2, 0x49, 1, 0, 0, 0, 0, 0, 0, 0, 0})
		put(t, b, []byte("v/simple"), []byte{0xf0})
		put(t, b, []byte("v/undef"), []byte{0xf7})
		put(t, b, []byte("v/two"), []byte{0x01, 0x02})
		put(t, b, []byte("v/raw"), []byte{0xff, 0x00, 'x'})
		put(t, b, []byte("v/neg"), []byte{0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		put(t, b, []byte("v/f16nan"), []byte{0xf9, 0x7e, 0x01})
		put(t, b, []byte("v/tag0bad"), []byte{0xc0, 0x63, 'a', 'b', 'c'})
		put(t, b, []byte("v/tag1str"), []byte{0xc1, 0x63, 'a', 'b', 'c'})
		put(t, b, []byte("t/X:watermark"), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		put(t, b, []byte("\xff\xfe"), []byte("x"))
		put(t, b, []byte("a/\xff/x"), []byte("x"))
	})
}
