package runtime_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/statekit/statekit/runtime"
)

// field is one typed key field, for tests that build keys of any shape.
type field struct {
	kind string // "s", "b", "i", "u", "t", "z"
	s    string
	i    int64
	u    uint64
	z    bool
	t    time.Time
}

func appendField(t interface{ Fatalf(string, ...any) }, dst []byte, f field) []byte {
	switch f.kind {
	case "s":
		return runtime.AppendKeyString(dst, f.s)
	case "b":
		return runtime.AppendKeyBytes(dst, []byte(f.s))
	case "i":
		return runtime.AppendKeyInt(dst, f.i)
	case "u":
		return runtime.AppendKeyUint(dst, f.u)
	case "z":
		return runtime.AppendKeyBool(dst, f.z)
	case "t":
		out, err := runtime.AppendKeyTime(dst, f.t)
		if err != nil {
			t.Fatalf("AppendKeyTime(%v): %v", f.t, err)
		}
		return out
	}
	panic("unknown kind " + f.kind)
}

func readField(r *runtime.KeyReader, kind string) field {
	switch kind {
	case "s":
		return field{kind: kind, s: r.ReadString()}
	case "b":
		return field{kind: kind, s: string(r.ReadBytes())}
	case "i":
		return field{kind: kind, i: r.ReadInt(64)}
	case "u":
		return field{kind: kind, u: r.ReadUint(64)}
	case "z":
		return field{kind: kind, z: r.ReadBool()}
	case "t":
		return field{kind: kind, t: r.ReadTime()}
	}
	panic("unknown kind " + kind)
}

// compareFields orders fields the way their encodings must order.
func compareFields(a, b field) int {
	switch a.kind {
	case "s", "b":
		return strings.Compare(a.s, b.s)
	case "i":
		return cmpInt(a.i, b.i)
	case "u":
		switch {
		case a.u < b.u:
			return -1
		case a.u > b.u:
			return 1
		}
		return 0
	case "z":
		return cmpInt(b2i(a.z), b2i(b.z))
	case "t":
		return a.t.Compare(b.t)
	}
	panic(a.kind)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

var fieldCmp = cmp.Comparer(func(a, b field) bool {
	return a.kind == b.kind && a.s == b.s && a.i == b.i && a.u == b.u && a.z == b.z && a.t.Equal(b.t)
})

func TestKeyRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		fields []field
	}{
		{"empty string", []field{{kind: "s"}}},
		{"strings with zero bytes", []field{{kind: "s", s: "\x00"}, {kind: "s", s: "a\x00\x00b\x00"}, {kind: "s", s: "\xff\x00\x01"}}},
		{"bytes", []field{{kind: "b", s: "\x00\xff\x01"}, {kind: "b"}}},
		{"int extremes", []field{{kind: "i", i: math.MinInt64}, {kind: "i", i: -1}, {kind: "i"}, {kind: "i", i: math.MaxInt64}}},
		{"uint extremes", []field{{kind: "u"}, {kind: "u", u: math.MaxUint64}}},
		{"bools", []field{{kind: "z"}, {kind: "z", z: true}}},
		{"times", []field{
			{kind: "t", t: time.Unix(0, 0).UTC()},
			{kind: "t", t: time.Date(1900, 1, 1, 0, 0, 0, 1, time.UTC)},
			{kind: "t", t: time.Date(2026, 11, 25, 20, 13, 49, 123456789, time.UTC)},
			{kind: "t", t: time.Unix(0, math.MaxInt64).UTC()},
			{kind: "t", t: time.Unix(0, math.MinInt64).UTC()},
		}},
		{"mixed", []field{{kind: "s", s: "user\x00"}, {kind: "i", i: -42}, {kind: "z", z: true}, {kind: "b", s: "x"}, {kind: "u", u: 7}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := []byte("prefix/")
			for _, f := range tc.fields {
				key = appendField(t, key, f)
			}
			r := runtime.NewKeyReader(key)
			r.ReadPrefix([]byte("prefix/"))
			var got []field
			for _, f := range tc.fields {
				got = append(got, readField(&r, f.kind))
			}
			if err := r.Done(); err != nil {
				t.Fatalf("Done: %v", err)
			}
			if diff := cmp.Diff(tc.fields, got, fieldCmp, cmp.AllowUnexported(field{})); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestKeyOrder checks the two promises of the encoding on random tuples: byte
// order is field order, and a prefix of the fields encodes to a prefix of the
// key.
func TestKeyOrder(t *testing.T) {
	kinds := []string{"s", "b", "i", "u", "z", "t"}
	genField := func(kind string) *rapid.Generator[field] {
		return rapid.Custom(func(rt *rapid.T) field {
			f := field{kind: kind}
			switch kind {
			case "s", "b":
				f.s = string(rapid.SliceOfN(rapid.SampledFrom([]byte{0, 1, 2, 0xfe, 0xff, 'a'}), 0, 5).Draw(rt, "s"))
			case "i":
				f.i = rapid.OneOf(rapid.Int64(), rapid.Int64Range(-3, 3)).Draw(rt, "i")
			case "u":
				f.u = rapid.OneOf(rapid.Uint64(), rapid.Uint64Range(0, 3)).Draw(rt, "u")
			case "z":
				f.z = rapid.Bool().Draw(rt, "z")
			case "t":
				f.t = time.Unix(0, rapid.Int64().Draw(rt, "t")).UTC()
			}
			return f
		})
	}
	rapid.Check(t, func(rt *rapid.T) {
		shape := rapid.SliceOfN(rapid.SampledFrom(kinds), 1, 4).Draw(rt, "shape")
		var a, b []field
		for _, k := range shape {
			a = append(a, genField(k).Draw(rt, "a"))
			b = append(b, genField(k).Draw(rt, "b"))
		}
		var ka, kb []byte
		want := 0
		for i := range shape {
			ka, kb = appendField(rt, ka, a[i]), appendField(rt, kb, b[i])
			if want == 0 {
				want = compareFields(a[i], b[i])
			}
			if got := bytes.Compare(ka, kb); sign(got) != want {
				rt.Fatalf("fields %v vs %v: bytes compare %d, fields compare %d", a[:i+1], b[:i+1], got, want)
			}
		}
		var prefix []byte
		for i := range shape[:len(shape)-1] {
			prefix = appendField(rt, prefix, a[i])
		}
		if !bytes.HasPrefix(ka, prefix) {
			rt.Fatalf("key %x lacks the encoding of its first fields %x", ka, prefix)
		}
	})
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func TestKeyCorrupt(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
		read func(*runtime.KeyReader)
		want string
	}{
		{"string without terminator", []byte("abc"), func(r *runtime.KeyReader) { r.ReadString() }, "no terminator"},
		{"string ends in lone escape", []byte("ab\x00"), func(r *runtime.KeyReader) { r.ReadString() }, "no terminator"},
		{"bad escape", []byte("a\x00\x02"), func(r *runtime.KeyReader) { r.ReadString() }, "0x00 followed by 0x02"},
		{"bad escape after good one", []byte("a\x00\xffb\x00\x07"), func(r *runtime.KeyReader) { r.ReadBytes() }, "followed by 0x07"},
		{"short int", []byte{1, 2, 3}, func(r *runtime.KeyReader) { r.ReadInt(64) }, "need 8 bytes"},
		{"int8 overflow", runtime.AppendKeyInt(nil, 200), func(r *runtime.KeyReader) { r.ReadInt(8) }, "does not fit in int8"},
		{"int32 underflow", runtime.AppendKeyInt(nil, math.MinInt32-1), func(r *runtime.KeyReader) { r.ReadInt(32) }, "int32"},
		{"uint16 overflow", runtime.AppendKeyUint(nil, 1<<16), func(r *runtime.KeyReader) { r.ReadUint(16) }, "uint16"},
		{"short uint", []byte{9}, func(r *runtime.KeyReader) { r.ReadUint(64) }, "need 8 bytes"},
		{"bool byte", []byte{2}, func(r *runtime.KeyReader) { r.ReadBool() }, "want 0x00 or 0x01"},
		{"missing bool", nil, func(r *runtime.KeyReader) { r.ReadBool() }, "need 1 byte"},
		{"short time", []byte{0x80, 0}, func(r *runtime.KeyReader) { r.ReadTime() }, "need 8 bytes"},
		{"wrong prefix", []byte("x/abc"), func(r *runtime.KeyReader) { r.ReadPrefix([]byte("a/")) }, "want prefix"},
		{"left over", append(runtime.AppendKeyBool(nil, true), 'x'), func(r *runtime.KeyReader) { r.ReadBool() }, "1 bytes left over"},
		{"second field", append(runtime.AppendKeyString(nil, "ok"), 5), func(r *runtime.KeyReader) { r.ReadString(); r.ReadBool() }, "key field 1 (bool) at byte 4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runtime.NewKeyReader(tc.key)
			tc.read(&r)
			err := r.Done()
			if !errors.Is(err, runtime.ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			// errors are sticky: later reads return zero values and keep the error
			if s := r.ReadString(); s != "" || r.Err() != err {
				t.Errorf("after an error: ReadString = %q, Err = %v", s, r.Err())
			}
		})
	}
}

func TestAppendKeyTimeRange(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(0, math.MaxInt64).Add(1),
	} {
		out, err := runtime.AppendKeyTime([]byte("p"), tm)
		if !errors.Is(err, runtime.ErrInvalidKey) || string(out) != "p" {
			t.Errorf("AppendKeyTime(%v) = %q, %v; want dst unchanged and ErrInvalidKey", tm, out, err)
		}
	}
}

// FuzzKeyReader decodes arbitrary bytes as a key of an arbitrary shape. It must
// never panic; a key that decodes must encode back to the same bytes (the
// encoding is canonical), and one that does not must fail with ErrCorrupt.
func FuzzKeyReader(f *testing.F) {
	f.Add("sib", runtime.AppendKeyBool(runtime.AppendKeyInt(runtime.AppendKeyString(nil, "a\x00b"), -5), true))
	f.Add("s", []byte("abc\x00\x01"))
	f.Add("b", []byte("\x00\xff\x00\x01"))
	f.Add("tu", make([]byte, 16))
	f.Add("z", []byte{1})
	f.Add("s", []byte("\x00"))
	f.Fuzz(func(t *testing.T, shape string, key []byte) {
		if len(shape) > 8 {
			shape = shape[:8]
		}
		r := runtime.NewKeyReader(key)
		var fields []field
		for _, c := range shape {
			kind := string("sbiuzt"[int(c)%6])
			fields = append(fields, readField(&r, kind))
		}
		err := r.Done()
		if err != nil {
			if !errors.Is(err, runtime.ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		var again []byte
		for _, fl := range fields {
			again = appendField(t, again, fl)
		}
		if !bytes.Equal(again, key) {
			t.Fatalf("decoded %v from %x, which encodes to %x", fields, key, again)
		}
	})
}
