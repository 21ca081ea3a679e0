package runtime_test

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/statekit/statekit/runtime"
)

func TestCBORModes(t *testing.T) {
	type rec struct {
		Name  string
		Raw   []byte
		When  time.Time
		Ratio float64
		Z     int
		A     int
	}
	in := rec{
		Name:  "not utf-8: \xff\xfe",
		Raw:   []byte{0, 1, 2},
		When:  time.Date(2026, 11, 25, 20, 13, 49, 123456789, time.FixedZone("X", 3600)),
		Ratio: 1.5,
		Z:     -1,
		A:     7,
	}
	b1, err := runtime.CBOREncMode.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out rec
	if err := runtime.CBORDecMode.Unmarshal(b1, &out); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if out.Name != in.Name {
		t.Errorf("invalid UTF-8 did not round-trip: %q", out.Name)
	}
	if !out.When.Equal(in.When) || out.When.Location() != time.UTC {
		t.Errorf("time %v came back as %v; want the same instant in UTC", in.When, out.When)
	}
	if diff := cmp.Diff(in, out, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	// deterministic and sorted: "A" (0x61 0x41) sorts before "Z" and "Raw"
	if i, j := bytes.Index(b1, []byte("\x61A")), bytes.Index(b1, []byte("\x61Z")); i < 0 || j < 0 || i > j {
		t.Errorf("fields not sorted bytewise by encoded key: % x", b1)
	}
	// the same instant in another zone encodes the same
	in.When = in.When.UTC()
	if b2, _ := runtime.CBOREncMode.Marshal(in); !bytes.Equal(b1, b2) {
		t.Error("equal instants in different zones encode differently")
	}
	// 1.5 fits a float16: 0xf9 0x3e 0x00
	if !bytes.Contains(b1, []byte{0xf9, 0x3e, 0x00}) {
		t.Errorf("1.5 not encoded as the shortest float: % x", b1)
	}
	nan, _ := runtime.CBOREncMode.Marshal(math.NaN())
	if !bytes.Equal(nan, []byte{0xf9, 0x7e, 0x00}) {
		t.Errorf("NaN = % x, want f9 7e 00", nan)
	}
}

func TestCBORDecodeLimits(t *testing.T) {
	deep := bytes.Repeat([]byte{0x81}, runtime.CBORMaxNestedLevels+1) // arrays nested too deep
	deep = append(deep, 0x00)
	var v any
	if err := runtime.CBORDecMode.Unmarshal(deep, &v); err == nil {
		t.Error("decoded arrays nested deeper than the limit")
	}
	// an array that claims 2^32 elements and has none: an error, not an allocation
	huge := []byte{0x9a, 0xff, 0xff, 0xff, 0xff}
	if err := runtime.CBORDecMode.Unmarshal(huge, &v); err == nil {
		t.Error("decoded a truncated array of 2^32 elements")
	}
	// a byte string longer than the input
	long := []byte{0x5a, 0x7f, 0xff, 0xff, 0xff, 1, 2}
	var b []byte
	if err := runtime.CBORDecMode.Unmarshal(long, &b); err == nil {
		t.Error("decoded a byte string longer than its input")
	}
}
