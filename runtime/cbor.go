package runtime

import (
	"github.com/fxamacker/cbor/v2"
)

// CBOR decode limits. They bound what hostile input can make a decoder do:
// nesting depth, and the element count of one array or map, which is also what a
// decoder may allocate before it has read the elements. Byte and text strings are
// bounded by the input itself: a length longer than the bytes left is an error,
// checked before anything is allocated.
const (
	CBORMaxNestedLevels  = 32
	CBORMaxArrayElements = 1 << 20
	CBORMaxMapPairs      = 1 << 20
)

// CBOREncMode and CBORDecMode are the canonical CBOR modes of statekit: the
// reference that generated codecs match byte for byte, and the fallback for field
// types a generated codec does not handle directly. They are immutable and safe
// for concurrent use; do not reassign them.
//
// Encoding is deterministic (RFC 8949 core deterministic encoding), so equal
// values always encode to equal bytes:
//   - map keys and struct fields sorted bytewise by their encoded key;
//   - integers, lengths and floats in their shortest form (a float64 that a
//     float16 or float32 holds exactly is written as one; NaN as 0xf97e00,
//     infinities as float16);
//   - no indefinite lengths;
//   - time.Time as an RFC 3339 text string in UTC with nanoseconds, so the
//     instant round-trips exactly (the location becomes UTC) and equal instants
//     encode alike; the zero time encodes as null.
//
// Decoding:
//   - text strings that are not valid UTF-8 are accepted, so a Go string, which
//     is bytes, reads back exactly as written;
//   - struct fields match map keys case-sensitively, and unknown keys are
//     skipped, so adding or removing a field is a compatible change;
//   - nesting depth, array length and map size are bounded (the CBORMax
//     constants).
var (
	CBOREncMode cbor.EncMode = mustEncMode()
	CBORDecMode cbor.DecMode = mustDecMode()
)

func mustEncMode() cbor.EncMode {
	opts := cbor.CoreDetEncOptions()
	opts.Time = cbor.TimeRFC3339NanoUTC
	m, err := opts.EncMode()
	if err != nil { // the options are constants: this is a programming error
		panic("statekit/runtime: CBOR encode options: " + err.Error())
	}
	return m
}

func mustDecMode() cbor.DecMode {
	m, err := cbor.DecOptions{
		UTF8:              cbor.UTF8DecodeInvalid,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		MaxNestedLevels:   CBORMaxNestedLevels,
		MaxArrayElements:  CBORMaxArrayElements,
		MaxMapPairs:       CBORMaxMapPairs,
	}.DecMode()
	if err != nil {
		panic("statekit/runtime: CBOR decode options: " + err.Error())
	}
	return m
}
