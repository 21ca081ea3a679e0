package statectl

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/statekit/statekit/runtime"
)

// Key is a checkpoint key as statectl shows it: the store prefix split off and
// the tuple-encoded fields decoded, as far as that is possible without the
// store's schema. The tuple encoding does not say which type a field has, so
// decoding is a best guess (a readable string, a plausible time or a small
// integer win over raw bytes); whatever does not decode stays in Rest.
type Key struct {
	Raw    []byte
	Kind   string // "aggregate" (a/), "window" (w/), "timer" (t/), or "" for any other key
	Prefix string // "a/Name/" etc.; "" for other keys
	Type   string // the Name in the prefix
	Fields []Field
	Rest   []byte // bytes after Prefix that did not decode as fields; nil if all did
}

// Field is one decoded key field.
type Field struct {
	Kind  string // "string", "bytes", "int", "uint", "bool", "time"
	Role  string // "start" (a window state key's window start), "end" (a timer's window end), or ""
	Bytes []byte // string, bytes: the unescaped content
	Int   int64  // int; time: Unix nanoseconds
	Uint  uint64 // uint
	Bool  bool
}

var kinds = map[byte]string{'a': "aggregate", 'w': "window", 't': "timer"}

// maxTypeName bounds what counts as a store's type name in a prefix.
const maxTypeName = 256

// ParseKey decodes key best-effort. It never fails and never panics: a key it
// cannot read is shown raw.
func ParseKey(key []byte) Key {
	k := Key{Raw: key}
	kind, ok := kinds[firstByte(key)]
	if !ok || len(key) < 3 || key[1] != '/' {
		return k
	}
	end := bytes.IndexByte(key[2:], '/')
	if end <= 0 || end > maxTypeName || !printable(key[2:2+end]) {
		return k
	}
	k.Kind, k.Type, k.Prefix = kind, string(key[2:2+end]), string(key[:3+end])
	body := key[3+end:]
	if len(body) == 0 {
		return k
	}
	if len(body) >= 8 {
		switch kind {
		case "window": // key fields, then the window start
			if fs, ok := parseFields(body[:len(body)-8]); ok {
				k.Fields = append(fs, timeField(body[len(body)-8:], "start"))
				return k
			}
		case "timer": // the window end, then the key fields
			if fs, ok := parseFields(body[8:]); ok {
				k.Fields = append([]Field{timeField(body[:8], "end")}, fs...)
				return k
			}
		}
	}
	if fs, ok := parseFields(body); ok {
		k.Fields = fs
		return k
	}
	k.Rest = body
	return k
}

func firstByte(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func timeField(b []byte, role string) Field {
	return Field{Kind: "time", Role: role, Int: int64(binary.BigEndian.Uint64(b) ^ (1 << 63))}
}

// Plausible times for a key field: an 8-byte field whose value falls in these
// years is shown as a time.
var (
	plausibleFrom = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	plausibleTo   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
)

// smallInt bounds what is shown as an integer rather than a time or raw value.
const smallInt = 1e15

// parseFields splits b into tuple-encoded fields, choosing among the
// decodings that consume all of b the one that reads best (see score). It runs
// in time linear in len(b). ok is false when no decoding consumes all of b.
func parseFields(b []byte) ([]Field, bool) {
	n := len(b)
	if n == 0 {
		return nil, true
	}
	// strEnd[i]: where a string field starting at i ends (after its
	// terminator), or -1. bad[i]: control bytes and escapes in b[:i], to score
	// a string's readability in O(1).
	strEnd := make([]int, n+1)
	bad := make([]int, n+1)
	for i, c := range b {
		bad[i+1] = bad[i]
		if c < 0x20 || c == 0x7f || c == 0xff {
			bad[i+1]++
		}
	}
	strEnd[n] = -1
	next := -1 // the smallest index >= i holding 0x00
	for i := n - 1; i >= 0; i-- {
		if b[i] == 0 {
			next = i
		}
		strEnd[i] = -1
		if next < 0 || next+1 >= n {
			continue
		}
		switch b[next+1] {
		case 0x01:
			strEnd[i] = next + 2
		case 0xff:
			if next+2 <= n {
				strEnd[i] = strEnd[next+2]
			}
		}
	}
	const none = -1 << 30
	type choice struct {
		score int
		field Field
		end   int
	}
	best := make([]choice, n+1)
	for i := n - 1; i >= 0; i-- {
		best[i] = choice{score: none}
		try := func(f Field, end, score int) {
			if end > n || best[end].score == none {
				return
			}
			if s := score - 1 + best[end].score; s > best[i].score {
				best[i] = choice{score: s, field: f, end: end}
			}
		}
		if e := strEnd[i]; e > 0 {
			// Bytes holds the escaped content until a decoding is chosen:
			// unescaping every candidate could take quadratic memory.
			score := 4
			switch {
			case e-2 == i:
				score = 2
			case bad[e-2]-bad[i] > 0:
				score = 1
			}
			try(Field{Kind: "string", Bytes: b[i : e-2]}, e, score)
		}
		if i+8 <= n {
			u := binary.BigEndian.Uint64(b[i:])
			v := int64(u ^ (1 << 63))
			switch {
			case v >= plausibleFrom && v < plausibleTo:
				try(Field{Kind: "time", Int: v}, i+8, 4)
			case v > -smallInt && v < smallInt:
				try(Field{Kind: "int", Int: v}, i+8, 3)
			case u < smallInt:
				try(Field{Kind: "uint", Uint: u}, i+8, 3)
			default:
				try(Field{Kind: "int", Int: v}, i+8, 1)
			}
		}
		if b[i] <= 1 {
			try(Field{Kind: "bool", Bool: b[i] == 1}, i+1, 1)
		}
	}
	if best[0].score == none {
		return nil, false
	}
	var fs []Field
	for i := 0; i < n; i = best[i].end {
		f := best[i].field
		if f.Kind == "string" {
			f.Bytes = unescape(f.Bytes)
			if !printable(f.Bytes) {
				f.Kind = "bytes"
			}
		}
		fs = append(fs, f)
	}
	return fs, true
}

// unescape returns the content of an escaped string field (without its
// terminator): 0x00 0xFF becomes 0x00.
func unescape(b []byte) []byte {
	if bytes.IndexByte(b, 0) < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		out = append(out, b[i])
		if b[i] == 0 {
			i++ // skip the 0xFF
		}
	}
	return out
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f || c == 0xff {
			return false
		}
	}
	return utf8.Valid(b)
}

// encode re-encodes the key from its parts; for every key, encode(ParseKey(k))
// == k (the fuzz target checks it).
func (k Key) encode() []byte {
	if k.Kind == "" {
		return k.Raw
	}
	out := []byte(k.Prefix)
	for _, f := range k.Fields {
		switch f.Kind {
		case "string", "bytes":
			out = runtime.AppendKeyBytes(out, f.Bytes)
		case "int", "time":
			out = runtime.AppendKeyInt(out, f.Int)
		case "uint":
			out = runtime.AppendKeyUint(out, f.Uint)
		case "bool":
			out = runtime.AppendKeyBool(out, f.Bool)
		}
	}
	return append(out, k.Rest...)
}

// Group is the key's group for per-prefix counts: the store prefix
// ("w/UserClicks/"), or for other keys their text up to and including the
// first ':' or '/' ("window:"), or "(other)".
func (k Key) Group() string {
	if k.Prefix != "" {
		return k.Prefix
	}
	if i := bytes.IndexAny(k.Raw, ":/"); i > 0 && i < 64 && printable(k.Raw[:i]) {
		return string(k.Raw[:i+1])
	}
	return "(other)"
}

// String renders the key on one line: `w/UserClicks/ ("alice", start=2026-01-02T15:04:00Z)`;
// a key of no store as a Go string literal.
func (k Key) String() string {
	if k.Kind == "" {
		return quote(k.Raw)
	}
	var sb strings.Builder
	sb.WriteString(k.Prefix)
	if len(k.Fields) > 0 {
		sb.WriteString(" (")
		for i, f := range k.Fields {
			if i > 0 {
				sb.WriteString(", ")
			}
			if f.Role != "" {
				sb.WriteString(f.Role)
				sb.WriteByte('=')
			}
			sb.WriteString(f.String())
		}
		sb.WriteByte(')')
	}
	if k.Rest != nil {
		sb.WriteString(" + ")
		sb.WriteString(quote(k.Rest))
	}
	return sb.String()
}

// String renders one field: strings quoted, times in RFC 3339 UTC.
func (f Field) String() string {
	switch f.Kind {
	case "string", "bytes":
		return quote(f.Bytes)
	case "int":
		return strconv.FormatInt(f.Int, 10)
	case "uint":
		return strconv.FormatUint(f.Uint, 10) + "u"
	case "bool":
		return strconv.FormatBool(f.Bool)
	case "time":
		return time.Unix(0, f.Int).UTC().Format(time.RFC3339Nano)
	}
	return "?"
}

// JSON is the field's value for JSON output: a string (bytes: hex), a number,
// a bool, or an RFC 3339 time.
func (f Field) JSON() any {
	switch f.Kind {
	case "string":
		return string(f.Bytes)
	case "bytes":
		return hex.EncodeToString(f.Bytes)
	case "int":
		return f.Int
	case "uint":
		return f.Uint
	case "bool":
		return f.Bool
	case "time":
		return time.Unix(0, f.Int).UTC().Format(time.RFC3339Nano)
	}
	return nil
}

// quote is a Go string literal of b, invalid UTF-8 and control bytes escaped,
// cut to 256 bytes with the full length noted.
func quote(b []byte) string {
	const max = 256
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "...(" + strconv.Itoa(len(b)) + " bytes)"
	}
	return strconv.Quote(string(b))
}
