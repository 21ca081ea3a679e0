package statectl

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"

	"github.com/statekit/statekit/runtime"
)

// diagMode renders CBOR in diagnostic notation (RFC 8949 section 8) with the
// runtime's decode limits.
var diagMode = mustDiagMode()

func mustDiagMode() cbor.DiagMode {
	m, err := cbor.DiagOptions{
		ByteStringEncoding: cbor.ByteStringBase16Encoding,
		MaxNestedLevels:    runtime.CBORMaxNestedLevels,
		MaxArrayElements:   runtime.CBORMaxArrayElements,
		MaxMapPairs:        runtime.CBORMaxMapPairs,
	}.DiagMode()
	if err != nil { // constant options: a programming error
		panic("statectl: CBOR diagnostic options: " + err.Error())
	}
	return m
}

// isCBOR reports whether v is exactly one well-formed CBOR data item, as the
// values of generated stores are.
func isCBOR(v []byte) bool {
	return len(v) > 0 && runtime.CBORDecMode.Wellformed(v) == nil
}

// ValueText renders a value for dump's text output: CBOR diagnostic notation
// when the value is one well-formed CBOR item, "(empty)" for no bytes (a
// window timer), else the raw bytes as a Go string literal prefixed "raw ".
func ValueText(v []byte) string {
	if len(v) == 0 {
		return "(empty)"
	}
	if isCBOR(v) {
		s, err := diagMode.Diagnose(v)
		if err == nil {
			return s
		}
		// Well-formed CBOR that diagnostic notation cannot show (a text
		// string that is not UTF-8, which statekit reads back as written):
		// the item's bytes, said to be CBOR.
		return "cbor h'" + hex.EncodeToString(v) + "' (" + err.Error() + ")"
	}
	return "raw " + quote(v)
}

// ValueJSON converts a value for dump's JSON output: a CBOR value as the JSON
// value closest to it (see jsonable), else nil and ok=false (the caller shows
// the raw bytes).
func ValueJSON(v []byte) (value any, ok bool) {
	if !isCBOR(v) {
		return nil, false
	}
	var x any
	if err := runtime.CBORDecMode.Unmarshal(v, &x); err != nil || !validUTF8(x) {
		// JSON cannot hold a string that is not UTF-8 without losing bytes:
		// the caller shows the raw value instead.
		return nil, false
	}
	return jsonable(x), true
}

// validUTF8 reports whether every text string in x (map keys included) is
// valid UTF-8.
func validUTF8(x any) bool {
	switch v := x.(type) {
	case string:
		return utf8.ValidString(v)
	case map[any]any:
		for k, e := range v {
			if !validUTF8(k) || !validUTF8(e) {
				return false
			}
		}
	case []any:
		for _, e := range v {
			if !validUTF8(e) {
				return false
			}
		}
	case cbor.Tag:
		return validUTF8(v.Content)
	}
	return true
}

// jsonable turns what fxamacker decodes into an interface{} into something
// encoding/json encodes without error: maps with non-string keys get their
// keys formatted (a keyasint field's 1 becomes "1"), byte strings become hex,
// big integers decimal strings, NaN and infinities the strings "NaN", "+Inf",
// "-Inf", tags {"tag": n, "value": v}, and undefined null.
func jsonable(x any) any {
	switch v := x.(type) {
	case map[any]any:
		type pair struct {
			key, typ string
			val      any
		}
		pairs := make([]pair, 0, len(v))
		for k, e := range v {
			pairs = append(pairs, pair{mapKey(k), fmt.Sprintf("%T", k), e})
		}
		sort.Slice(pairs, func(i, j int) bool {
			if pairs[i].key != pairs[j].key {
				return pairs[i].key < pairs[j].key
			}
			return pairs[i].typ < pairs[j].typ
		})
		// 1 and "1" are distinct CBOR keys: keep both. A key whose text was
		// taken gets "#2", "#3"... but never a name another key has, so a
		// real key "1#2" keeps its own value.
		names := make(map[string]bool, len(pairs))
		for _, p := range pairs {
			names[p.key] = true
		}
		out := make(map[string]any, len(v))
		for _, p := range pairs {
			ks := p.key
			if _, taken := out[ks]; taken {
				for n := 2; ; n++ {
					ks = p.key + "#" + strconv.Itoa(n)
					if _, taken := out[ks]; !taken && !names[ks] {
						break
					}
				}
			}
			out[ks] = jsonable(p.val)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonable(e)
		}
		return out
	case []byte:
		return hex.EncodeToString(v)
	case float64:
		return jsonFloat(v)
	case float32:
		return jsonFloat(float64(v))
	case big.Int:
		return v.String()
	case *big.Int:
		return v.String()
	case cbor.Tag:
		return map[string]any{"tag": v.Number, "value": jsonable(v.Content)}
	case cbor.RawTag:
		return map[string]any{"tag": v.Number, "value": hex.EncodeToString(v.Content)}
	case cbor.SimpleValue:
		return map[string]any{"simple": uint8(v)}
	case nil, bool, string, int64, uint64:
		return v
	default:
		return fmt.Sprint(v)
	}
}

func jsonFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return f
}

// mapKey formats a CBOR map key as a JSON object key.
func mapKey(k any) string {
	switch v := k.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case []byte:
		return hex.EncodeToString(v)
	case cbor.ByteString: // a byte-string map key, as fxamacker decodes one
		return "h'" + hex.EncodeToString([]byte(v)) + "'"
	default:
		return fmt.Sprint(jsonable(v))
	}
}
