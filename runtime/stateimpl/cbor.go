package stateimpl

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/statekit/statekit/runtime"

	"github.com/x448/float16"
)

// The CBOR primitives generated codecs are made of. The Append functions write
// exactly what runtime.CBOREncMode writes for the same Go value, so a generated encoder
// matches reflection byte for byte. CBORReader is the decoding side: a fast
// path for well-formed canonical input that reports, rather than handles,
// anything unusual, so that the generated decoder can hand that input to
// CBORDecMode and get exactly reflection's result, error included.

// CBOR major types, shifted into the head byte.
const (
	cborUint   = 0 << 5
	cborNint   = 1 << 5
	cborBytes  = 2 << 5
	cborText   = 3 << 5
	cborArray  = 4 << 5
	cborMap    = 5 << 5
	cborTag    = 6 << 5
	cborSimple = 7 << 5
)

const (
	cborFalse = 0xf4
	cborTrue  = 0xf5
	cborNull  = 0xf6
)

// AppendCBORHead appends a CBOR head (major type and argument) in its shortest
// form. major is the major type, 0 to 7.
func AppendCBORHead(dst []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(dst, m|byte(n))
	case n <= math.MaxUint8:
		return append(dst, m|24, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, m|25), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, m|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, m|27), n)
}

// AppendCBORMapHeader appends the head of a map of n pairs.
func AppendCBORMapHeader(dst []byte, n int) []byte { return AppendCBORHead(dst, 5, uint64(n)) }

// AppendCBORInt appends a signed integer.
func AppendCBORInt(dst []byte, v int64) []byte {
	if v >= 0 {
		return AppendCBORHead(dst, 0, uint64(v))
	}
	return AppendCBORHead(dst, 1, uint64(-(v + 1)))
}

// AppendCBORUint appends an unsigned integer.
func AppendCBORUint(dst []byte, v uint64) []byte { return AppendCBORHead(dst, 0, v) }

// AppendCBORBool appends a bool.
func AppendCBORBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, cborTrue)
	}
	return append(dst, cborFalse)
}

// AppendCBORString appends a text string. Its bytes are written as they are,
// valid UTF-8 or not, as runtime.CBOREncMode does.
func AppendCBORString(dst []byte, s string) []byte {
	return append(AppendCBORHead(dst, 3, uint64(len(s))), s...)
}

// AppendCBORBytes appends a byte string; a nil slice is null.
func AppendCBORBytes(dst, b []byte) []byte {
	if b == nil {
		return append(dst, cborNull)
	}
	return append(AppendCBORHead(dst, 2, uint64(len(b))), b...)
}

// AppendCBORFloat64 appends a float in the shortest form that keeps its value:
// float16, float32 or float64. NaN is 0xf97e00; infinities are float16. This is
// also the encoding of a float32 (widened first), as in runtime.CBOREncMode.
func AppendCBORFloat64(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, 0xf9, 0x7e, 0x00)
	case math.IsInf(f, 1):
		return append(dst, 0xf9, 0x7c, 0x00)
	case math.IsInf(f, -1):
		return append(dst, 0xf9, 0xfc, 0x00)
	}
	f32 := float32(f)
	if float64(f32) != f { // does not fit a float32 exactly
		return binary.BigEndian.AppendUint64(append(dst, 0xfb), math.Float64bits(f))
	}
	p := float16.PrecisionFromfloat32(f32)
	if p == float16.PrecisionExact || (p == float16.PrecisionUnknown && float16.Fromfloat32(f32).Float32() == f32) {
		return binary.BigEndian.AppendUint16(append(dst, 0xf9), uint16(float16.Fromfloat32(f32)))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xfa), math.Float32bits(f32))
}

// AppendCBORTime appends t as runtime.CBOREncMode does: null for the zero time, else an
// RFC 3339 text string in UTC with nanoseconds. Years outside 0000-9999 cannot
// be written that way and are an error.
func AppendCBORTime(dst []byte, t time.Time) ([]byte, error) {
	if t.IsZero() {
		return append(dst, cborNull), nil
	}
	if !rfc3339Years(t) {
		return dst, fmt.Errorf("statekit: cbor: time %v: year outside 0000-9999 in UTC", t)
	}
	// An RFC 3339 time in UTC is 20 to 30 bytes. Format it after room for a
	// two-byte head (0x78, length); a length under 24 fits the first byte, and
	// the text moves back one.
	start := len(dst)
	dst = append(dst, 0x78, 0)
	dst = appendRFC3339UTC(dst, t)
	n := len(dst) - start - 2
	if n < 24 {
		copy(dst[start+1:], dst[start+2:])
		dst = dst[:len(dst)-1]
		dst[start] = cborText | byte(n)
		return dst, nil
	}
	dst[start+1] = byte(n)
	return dst, nil
}

// AppendCBORValue appends v encoded by runtime.CBOREncMode: for field types a generated
// codec does not handle itself.
func AppendCBORValue(dst []byte, v any) ([]byte, error) {
	b, err := runtime.CBOREncMode.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// CBORReader reads CBOR items for a generated decoder's fast path. Every method
// returns ok=false, consuming nothing it can be trusted on, when the input is
// not what the fast path handles: truncated or malformed input, but also valid
// forms it leaves to CBORDecMode (tags, indefinite lengths, a number of another
// major type than the field's, a value out of the field's range). The decoder
// then falls back to CBORDecMode, which gives the same answer reflection does.
type CBORReader struct {
	data []byte
	off  int
	seen [4]uint64 // fields read, by index (Once): the first 256
	more []uint64  // and the rest, for wide types (Track)
}

// NewCBORReader returns a reader over data.
func NewCBORReader(data []byte) CBORReader { return CBORReader{data: data} }

// Done reports whether every byte has been read.
func (r *CBORReader) Done() bool { return r.off == len(r.data) }

// head reads a head with a definite argument: major type and argument.
func (r *CBORReader) head() (major byte, arg uint64, ok bool) {
	if r.off >= len(r.data) {
		return 0, 0, false
	}
	b := r.data[r.off]
	major, info := b>>5, b&0x1f
	switch {
	case info < 24:
		r.off++
		return major, uint64(info), true
	case info == 24:
		if len(r.data)-r.off < 2 {
			return 0, 0, false
		}
		arg = uint64(r.data[r.off+1])
		r.off += 2
	case info == 25:
		if len(r.data)-r.off < 3 {
			return 0, 0, false
		}
		arg = uint64(binary.BigEndian.Uint16(r.data[r.off+1:]))
		r.off += 3
	case info == 26:
		if len(r.data)-r.off < 5 {
			return 0, 0, false
		}
		arg = uint64(binary.BigEndian.Uint32(r.data[r.off+1:]))
		r.off += 5
	case info == 27:
		if len(r.data)-r.off < 9 {
			return 0, 0, false
		}
		arg = binary.BigEndian.Uint64(r.data[r.off+1:])
		r.off += 9
	default: // 28-30 reserved, 31 indefinite: left to CBORDecMode
		return 0, 0, false
	}
	return major, arg, true
}

// peek returns the next byte without consuming it.
func (r *CBORReader) peek() (byte, bool) {
	if r.off >= len(r.data) {
		return 0, false
	}
	return r.data[r.off], true
}

// ReadMapHeader reads the head of a definite-length map and returns its size.
func (r *CBORReader) ReadMapHeader() (int, bool) {
	major, n, ok := r.head()
	if !ok || major != 5 || n > runtime.CBORMaxMapPairs || n > uint64(len(r.data)-r.off) {
		return 0, false
	}
	return int(n), true
}

// ReadKey reads a map key: a text string (isText), or an integer.
func (r *CBORReader) ReadKey() (text []byte, num int64, isText, ok bool) {
	start := r.off
	major, arg, ok := r.head()
	switch {
	case !ok:
		return nil, 0, false, false
	case major == 3:
		if arg > uint64(len(r.data)-r.off) {
			return nil, 0, false, false
		}
		text = r.data[r.off : r.off+int(arg)]
		r.off += int(arg)
		return text, 0, true, true
	case major == 0 && arg <= math.MaxInt64:
		return nil, int64(arg), false, true
	case major == 1 && arg <= math.MaxInt64:
		return nil, -1 - int64(arg), false, true
	}
	r.off = start
	return nil, 0, false, false
}

// ReadInt reads an integer that fits in a signed integer of bits bits.
func (r *CBORReader) ReadInt(bits int) (int64, bool) {
	major, arg, ok := r.head()
	if !ok {
		return 0, false
	}
	var v int64
	switch {
	case major == 0 && arg <= math.MaxInt64:
		v = int64(arg)
	case major == 1 && arg <= math.MaxInt64:
		v = -1 - int64(arg)
	default:
		return 0, false
	}
	if bits < 64 && (v < -(1<<(bits-1)) || v >= 1<<(bits-1)) {
		return 0, false
	}
	return v, true
}

// ReadUint reads a non-negative integer that fits in bits bits.
func (r *CBORReader) ReadUint(bits int) (uint64, bool) {
	major, arg, ok := r.head()
	if !ok || major != 0 || (bits < 64 && arg >= 1<<bits) {
		return 0, false
	}
	return arg, true
}

// ReadBool reads true or false.
func (r *CBORReader) ReadBool() (bool, bool) {
	b, ok := r.peek()
	if !ok || (b != cborFalse && b != cborTrue) {
		return false, false
	}
	r.off++
	return b == cborTrue, true
}

// ReadFloat64 reads a float16, float32 or float64 as CBORDecMode would for a
// float64 field.
func (r *CBORReader) ReadFloat64() (float64, bool) {
	b, ok := r.peek()
	if !ok {
		return 0, false
	}
	switch b {
	case 0xf9:
		if len(r.data)-r.off < 3 {
			return 0, false
		}
		f := float16.Frombits(binary.BigEndian.Uint16(r.data[r.off+1:])).Float32()
		r.off += 3
		return float64(f), true
	case 0xfa:
		if len(r.data)-r.off < 5 {
			return 0, false
		}
		f := math.Float32frombits(binary.BigEndian.Uint32(r.data[r.off+1:]))
		r.off += 5
		return float64(f), true
	case 0xfb:
		if len(r.data)-r.off < 9 {
			return 0, false
		}
		f := math.Float64frombits(binary.BigEndian.Uint64(r.data[r.off+1:]))
		r.off += 9
		return f, true
	}
	return 0, false
}

// ReadFloat32 reads a float16 or float32, what the encoder writes for a float32.
// A float64 is left to CBORDecMode, which checks its range.
func (r *CBORReader) ReadFloat32() (float32, bool) {
	if b, ok := r.peek(); !ok || b == 0xfb {
		return 0, false
	}
	f, ok := r.ReadFloat64()
	return float32(f), ok
}

// ReadString reads a definite-length text string.
func (r *CBORReader) ReadString() (string, bool) {
	b, ok := r.text(3)
	return string(b), ok
}

func (r *CBORReader) text(want byte) ([]byte, bool) {
	start := r.off
	major, n, ok := r.head()
	if !ok || major != want || n > uint64(len(r.data)-r.off) {
		r.off = start
		return nil, false
	}
	b := r.data[r.off : r.off+int(n)]
	r.off += int(n)
	return b, true
}

// ReadBytes reads a definite-length byte string into a new slice, or null as nil.
func (r *CBORReader) ReadBytes() ([]byte, bool) {
	if b, ok := r.peek(); ok && b == cborNull {
		r.off++
		return nil, true
	}
	b, ok := r.text(2)
	if !ok {
		return nil, false
	}
	return append([]byte{}, b...), true
}

// ReadTime reads null as the zero time, or an RFC 3339 text string, as
// CBORDecMode does.
func (r *CBORReader) ReadTime() (time.Time, bool) {
	if b, ok := r.peek(); ok && b == cborNull {
		r.off++
		return time.Time{}, true
	}
	s, ok := r.text(3)
	if !ok {
		return time.Time{}, false
	}
	if t, ok := parseRFC3339UTC(s); ok {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, string(s))
	return t, err == nil
}

// ReadRaw returns the bytes of the next item, whatever it is, for decoding by
// CBORDecMode.
func (r *CBORReader) ReadRaw() ([]byte, bool) {
	start := r.off
	if !r.Skip() {
		return nil, false
	}
	return r.data[start:r.off], true
}

// Skip skips the next item, checking that it is well formed, to a depth of
// runtime.CBORMaxNestedLevels.
func (r *CBORReader) Skip() bool { return r.skip(1) }

// skip skips an item inside a container at nesting level depth (the top map
// of a value is level 1). It leaves to CBORDecMode, by returning false, any
// item near or past its limits (nesting, array and map sizes): a skipped
// value that CBORDecMode would refuse must make the decode fail as it would.
func (r *CBORReader) skip(depth int) bool {
	start := r.off
	major, arg, ok := r.head()
	if !ok {
		r.off = start
		return false
	}
	switch major {
	case 0, 1:
		return true
	case 2, 3:
		if arg > uint64(len(r.data)-r.off) {
			return false
		}
		r.off += int(arg)
		return true
	case 4, 5:
		if depth+1 >= runtime.CBORMaxNestedLevels || major == 4 && arg > runtime.CBORMaxArrayElements ||
			major == 5 && arg > runtime.CBORMaxMapPairs {
			return false
		}
		items := arg
		if major == 5 {
			if arg > math.MaxUint64/2 {
				return false
			}
			items = 2 * arg
		}
		if items > uint64(len(r.data)-r.off) { // each item takes at least a byte
			return false
		}
		for range items {
			if !r.skip(depth + 1) {
				return false
			}
		}
		return true
	case 6:
		if depth+1 >= runtime.CBORMaxNestedLevels {
			return false
		}
		return r.skip(depth + 1)
	default: // simple values and floats: the head carried them
		return r.data[start]&0x1f <= 27 && (r.data[start]&0x1f != 24 || arg >= 32)
	}
}
