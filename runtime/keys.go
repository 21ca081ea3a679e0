package runtime

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"
)

// The key encoding is an order-preserving, prefix-free tuple encoding modelled on
// FoundationDB's tuple layer: comparing two keys bytewise compares their fields
// in order, and the encoding of a prefix of the fields is a prefix of the key.
//
//   - string, []byte: the bytes with 0x00 escaped as 0x00 0xFF, ended by 0x00 0x01
//   - signed integers: 8 bytes big-endian with the sign bit flipped
//   - unsigned integers: 8 bytes big-endian
//   - bool: one byte, 0x00 or 0x01
//   - time.Time: Unix nanoseconds, encoded as a signed integer; the location is
//     not kept, and times outside the years 1678-2262 do not encode.
const (
	keyEscape     = 0x00
	keyEscaped    = 0xFF
	keyTerminator = 0x01
)

// AppendKeyString appends the encoding of s to dst.
func AppendKeyString(dst []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, 0)
		if i < 0 {
			dst = append(dst, s...)
			return append(dst, keyEscape, keyTerminator)
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, keyEscape, keyEscaped)
		s = s[i+1:]
	}
}

// AppendKeyBytes appends the encoding of b to dst; it is the same as that of
// string(b).
func AppendKeyBytes(dst, b []byte) []byte {
	for {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			dst = append(dst, b...)
			return append(dst, keyEscape, keyTerminator)
		}
		dst = append(dst, b[:i]...)
		dst = append(dst, keyEscape, keyEscaped)
		b = b[i+1:]
	}
}

// AppendKeyInt appends the encoding of a signed integer of any width.
func AppendKeyInt(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(v)^(1<<63))
}

// AppendKeyUint appends the encoding of an unsigned integer of any width.
func AppendKeyUint(dst []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(dst, v)
}

// AppendKeyBool appends the encoding of v: false sorts before true.
func AppendKeyBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// Bounds of the times a key can hold: those whose Unix nanoseconds fit an int64.
var (
	minKeyTime = time.Unix(0, math.MinInt64)
	maxKeyTime = time.Unix(0, math.MaxInt64)
)

// AppendKeyTime appends the encoding of t: its Unix nanoseconds as a signed
// integer. A time outside the years 1678-2262 has no Unix nanoseconds and is an
// error wrapping ErrInvalidKey; dst is then returned unchanged.
func AppendKeyTime(dst []byte, t time.Time) ([]byte, error) {
	if t.Before(minKeyTime) || t.After(maxKeyTime) {
		return dst, fmt.Errorf("%w: time %s is outside the range of Unix nanoseconds", ErrInvalidKey, t.Format(time.RFC3339))
	}
	return AppendKeyInt(dst, t.UnixNano()), nil
}

// KeyReader decodes the fields of an encoded key in order. Its errors are
// sticky: after the first, every read returns a zero value and Err reports it.
// Every error wraps ErrCorrupt and says which field failed and at which byte.
//
//	r := runtime.NewKeyReader(key)
//	r.ReadPrefix(prefix)
//	user := r.ReadString()
//	start := r.ReadTime()
//	if err := r.Done(); err != nil { ... }
type KeyReader struct {
	key   []byte // the whole key, for error positions
	pos   int
	field int
	err   error
}

// NewKeyReader returns a KeyReader over key. It does not copy key. Like
// stateimpl.NewCBORReader it returns a value: declare it as a variable and read
// through its methods, and it stays on the stack.
func NewKeyReader(key []byte) KeyReader { return KeyReader{key: key} }

// Err returns the first error, or nil.
func (r *KeyReader) Err() error { return r.err }

// Rest returns the bytes not yet read.
func (r *KeyReader) Rest() []byte { return r.key[r.pos:] }

// Done returns the first error, or an error if bytes are left unread.
func (r *KeyReader) Done() error {
	if r.err == nil && r.pos != len(r.key) {
		r.fail("end", "%d bytes left over", len(r.key)-r.pos)
	}
	return r.err
}

func (r *KeyReader) fail(what, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: key field %d (%s) at byte %d: %s", ErrCorrupt, r.field, what, r.pos, fmt.Sprintf(format, args...))
	}
}

// ReadPrefix consumes prefix, which must come next, byte for byte.
func (r *KeyReader) ReadPrefix(prefix []byte) {
	if r.err != nil {
		return
	}
	if !bytes.HasPrefix(r.key[r.pos:], prefix) {
		r.fail("prefix", "want prefix %q", prefix)
		return
	}
	r.pos += len(prefix)
}

// ReadString reads a string field.
func (r *KeyReader) ReadString() string {
	b := r.readEscaped("string")
	return string(b)
}

// ReadBytes reads a []byte field into a new slice (non-nil, possibly empty).
func (r *KeyReader) ReadBytes() []byte {
	b := r.readEscaped("bytes")
	if r.err != nil {
		return nil
	}
	return append([]byte{}, b...)
}

// readEscaped returns the unescaped bytes of the next string or bytes field. The
// slice aliases the key when nothing needed unescaping.
func (r *KeyReader) readEscaped(what string) []byte {
	if r.err != nil {
		return nil
	}
	rest := r.key[r.pos:]
	i := bytes.IndexByte(rest, keyEscape)
	if i < 0 {
		r.fail(what, "no terminator")
		return nil
	}
	if i+1 < len(rest) && rest[i+1] == keyTerminator { // the common case: no 0x00 inside
		r.pos += i + 2
		r.field++
		return rest[:i]
	}
	var out []byte
	for {
		if i < 0 || i+1 >= len(rest) {
			r.fail(what, "no terminator")
			return nil
		}
		out = append(out, rest[:i]...)
		switch rest[i+1] {
		case keyTerminator:
			r.pos += i + 2
			r.field++
			return out
		case keyEscaped:
			out = append(out, 0)
			r.pos += i + 2
			rest = rest[i+2:]
			i = bytes.IndexByte(rest, keyEscape)
		default:
			r.pos += i
			r.fail(what, "0x00 followed by %#02x, want 0x01 or 0xff", rest[i+1])
			return nil
		}
	}
}

func (r *KeyReader) read8(what string) (uint64, bool) {
	if r.err != nil {
		return 0, false
	}
	if len(r.key)-r.pos < 8 {
		r.fail(what, "need 8 bytes, have %d", len(r.key)-r.pos)
		return 0, false
	}
	v := binary.BigEndian.Uint64(r.key[r.pos:])
	r.pos += 8
	r.field++
	return v, true
}

// ReadInt reads a signed integer field that must fit in bits (8, 16, 32 or 64).
func (r *KeyReader) ReadInt(bits int) int64 {
	u, ok := r.read8("int")
	if !ok {
		return 0
	}
	v := int64(u ^ (1 << 63))
	if bits < 64 {
		lim := int64(1) << (bits - 1)
		if v < -lim || v >= lim {
			r.field--
			r.pos -= 8
			r.fail("int", "%d does not fit in int%d", v, bits)
			return 0
		}
	}
	return v
}

// ReadUint reads an unsigned integer field that must fit in bits (8, 16, 32 or 64).
func (r *KeyReader) ReadUint(bits int) uint64 {
	v, ok := r.read8("uint")
	if !ok {
		return 0
	}
	if bits < 64 && v >= uint64(1)<<bits {
		r.field--
		r.pos -= 8
		r.fail("uint", "%d does not fit in uint%d", v, bits)
		return 0
	}
	return v
}

// ReadBool reads a bool field.
func (r *KeyReader) ReadBool() bool {
	if r.err != nil {
		return false
	}
	if r.pos >= len(r.key) {
		r.fail("bool", "need 1 byte, have 0")
		return false
	}
	switch b := r.key[r.pos]; b {
	case 0, 1:
		r.pos++
		r.field++
		return b == 1
	default:
		r.fail("bool", "byte %#02x, want 0x00 or 0x01", b)
		return false
	}
}

// ReadTime reads a time.Time field. The result is in UTC.
func (r *KeyReader) ReadTime() time.Time {
	u, ok := r.read8("time")
	if !ok {
		return time.Time{}
	}
	return time.Unix(0, int64(u^(1<<63))).UTC()
}
