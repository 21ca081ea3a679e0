package stateimpl

import (
	"time"
	"unsafe"

	"github.com/statekit/statekit/runtime"
)

// The pieces of a generated decoder's fast path. Each reads one field's value
// into the field, through a pointer that does not escape, and reports false
// for anything the fast path leaves to runtime.CBORDecMode: the generated
// decoder then returns false, and UnmarshalCBOR decodes by reflection.

// DecodeMode says which fields a generated decoder skips: those its caller
// sets itself, so that decoding them would only allocate.
type DecodeMode uint8

const (
	// SkipKeys skips the key fields: the store sets them from the key.
	SkipKeys DecodeMode = 1 << iota
	// SkipLast skips the fields that merge by "last": the merge overwrites
	// them with the incoming value's.
	SkipLast

	// DecodeAll decodes every field, as UnmarshalCBOR does.
	DecodeAll DecodeMode = 0
	// DecodeMerge decodes what a merge needs of the stored value.
	DecodeMerge = SkipKeys | SkipLast
)

// Once reports whether the field numbered i (its position among the type's
// stored fields) is met for the first time in this map, and marks it met. A
// key seen twice is left to CBORDecMode, which decides what duplicates mean.
// The reader tracks 256 fields; a decoder of a wider type gives it room for
// the rest with Track, else they too are left to CBORDecMode.
func (r *CBORReader) Once(i int) bool {
	seen := r.seen[:]
	if i >= len(seen)*64 {
		seen, i = r.more, i-len(seen)*64
		if i >= len(seen)*64 {
			return false
		}
	}
	w, bit := i/64, uint64(1)<<(i%64)
	if seen[w]&bit != 0 {
		return false
	}
	seen[w] |= bit
	return true
}

// Track gives Once the bits to track fields past the 256th: one bit a field,
// from field 256 on. Generated decoders of wide types pass an array of their
// own, on the stack.
func (r *CBORReader) Track(bits []uint64) { r.more = bits }

// ReadTextKey reads a map key that is a text string; any other key, integer
// keys included, is false.
func (r *CBORReader) ReadTextKey() ([]byte, bool) {
	text, _, isText, ok := r.ReadKey()
	return text, ok && isText
}

// ReadInt reads a signed integer that fits *p.
func ReadInt[T ~int | ~int8 | ~int16 | ~int32 | ~int64](r *CBORReader, p *T) bool {
	x, ok := r.ReadInt(int(unsafe.Sizeof(*p)) * 8)
	*p = T(x)
	return ok
}

// ReadUint reads an unsigned integer that fits *p.
func ReadUint[T ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr](r *CBORReader, p *T) bool {
	x, ok := r.ReadUint(int(unsafe.Sizeof(*p)) * 8)
	*p = T(x)
	return ok
}

// ReadFloat reads a float into a float32 or float64.
func ReadFloat[T ~float32 | ~float64](r *CBORReader, p *T) bool {
	if unsafe.Sizeof(*p) == 4 {
		x, ok := r.ReadFloat32()
		*p = T(x)
		return ok
	}
	x, ok := r.ReadFloat64()
	*p = T(x)
	return ok
}

// ReadBool reads a bool.
func ReadBool[T ~bool](r *CBORReader, p *T) bool {
	x, ok := r.ReadBool()
	*p = T(x)
	return ok
}

// ReadString reads a text string, or skips it when skip is set: a skipped
// field is checked all the same, so that a value the decoder would refuse
// is refused whether or not its field is wanted.
func ReadString[T ~string](r *CBORReader, p *T, skip bool) bool {
	if skip {
		_, ok := r.text(3)
		return ok
	}
	x, ok := r.ReadString()
	*p = T(x)
	return ok
}

// ReadBytes reads a byte string (a copy), or skips it, checked, when skip is
// set (see ReadString).
func ReadBytes[T ~[]byte](r *CBORReader, p *T, skip bool) bool {
	if skip {
		if b, ok := r.peek(); ok && b == cborNull {
			r.off++
			return true
		}
		_, ok := r.text(2)
		return ok
	}
	x, ok := r.ReadBytes()
	*p = T(x)
	return ok
}

// ReadTime reads a time as CBORDecMode does (RFC 3339 text, or null).
func ReadTime(r *CBORReader, p *time.Time) bool {
	x, ok := r.ReadTime()
	*p = x
	return ok
}

// ReadValue reads any other field by reflection (runtime.CBORDecMode), or
// skips it when skip is set. p escapes to the heap, and with it the value
// holding the field: generated code uses it for types with several such
// fields, where one allocation of the value costs less than one per field.
func ReadValue[T any](r *CBORReader, p *T, skip bool) bool {
	raw, ok := r.ReadRaw()
	if !ok || skip {
		return ok
	}
	return runtime.CBORDecMode.Unmarshal(raw, p) == nil
}

// ReadValueCopy is ReadValue through a temporary, so that only the
// temporary, and not the whole value holding the field, moves to the heap:
// generated code uses it for types with one such field.
func ReadValueCopy[T any](r *CBORReader, p *T, skip bool) bool {
	raw, ok := r.ReadRaw()
	if !ok || skip {
		return ok
	}
	x := new(T)
	if runtime.CBORDecMode.Unmarshal(raw, x) != nil {
		return false
	}
	*p = *x
	return true
}
