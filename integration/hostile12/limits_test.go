package hostile12_test

import (
	"bytes"
	"testing"

	"github.com/statekit/statekit/integration/stores"
	"github.com/statekit/statekit/runtime"
)

// TestDecodeLimitsMatchReflection: the generated decoder skips unknown
// fields (and, in the stores, key fields) with CBORReader.Skip, which counts
// nesting from the skipped item and does not bound array or map sizes;
// CBORDecMode checks both over the whole input. Input reflection refuses
// must be refused by UnmarshalCBOR, as the design says ("generated decode
// yields what CBORDecMode.Unmarshal yields"). Not new in generator v2: v1's
// Skip was the same, and this test fails against it too.
func TestDecodeLimitsMatchReflection(t *testing.T) {
	deep := func(levels int) []byte {
		var b bytes.Buffer
		b.Write([]byte{0xa1, 0x67})
		b.WriteString("Unknown")
		for range levels {
			b.WriteByte(0x81) // [ ... ]
		}
		b.WriteByte(0x00)
		return b.Bytes()
	}
	long := func(n int) []byte {
		b := []byte{0xa1, 0x67}
		b = append(b, "Unknown"...)
		b = append(b, 0x9a, byte(n>>24), byte(n>>16), byte(n>>8), byte(n)) // array of n
		return append(b, make([]byte, n)...)                               // n zeros
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"nested one level past the limit", deep(runtime.CBORMaxNestedLevels)},
		{"nested at the limit", deep(runtime.CBORMaxNestedLevels - 1)},
		{"an array one past the limit", long(runtime.CBORMaxArrayElements + 1)},
		{"an array at the limit", long(runtime.CBORMaxArrayElements)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got stores.ModelLatency
			gotErr := got.UnmarshalCBOR(tc.data)
			var want struct {
				Tenant, Model, Region, Last string
				Calls                       int64
				Total, Worst, Best          float64
			}
			wantErr := runtime.CBORDecMode.Unmarshal(tc.data, &want)
			if (gotErr == nil) != (wantErr == nil) {
				t.Errorf("UnmarshalCBOR: %v; CBORDecMode: %v", gotErr, wantErr)
			}
		})
	}
}
