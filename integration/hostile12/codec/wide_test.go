package codec

import (
	"testing"
)

// TestWideDecodesOnTheFastPath: a type with more stored fields than
// CBORReader.Once tracks (256) must still decode its own encoding on the
// generated fast path. Generator v1 tracked any number of fields (a
// [N]bool per type); v2's Once answers false past the 256th, so every
// decode of such a value runs the fast path up to field 256, fails, and
// starts again by reflection: allocations and time of fxamacker plus most of
// a fast decode.
func TestWideDecodesOnTheFastPath(t *testing.T) {
	var v Wide
	v.K = "k"
	v.F000, v.F255, v.F256, v.F299 = 1, 2, 3, 4
	data, err := v.AppendCBOR(nil)
	if err != nil {
		t.Fatal(err)
	}
	var got Wide
	if !wideDecodeCBOR(&got, data, 0) {
		t.Errorf("wideDecodeCBOR refuses the type's own encoding (%d stored fields): every decode falls back to reflection", 301)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := got.UnmarshalCBOR(data); err != nil {
			t.Fatal(err)
		}
	})
	if got != v {
		t.Fatalf("decoded %+v, want %+v", got, v)
	}
	// Every field is an int64 or a string the fast path reads into place:
	// the only allocation is the string K.
	if allocs > 1 {
		t.Errorf("UnmarshalCBOR of a Wide allocates %v times, want at most 1 (the fast path's)", allocs)
	}
}
