package statectl

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/statekit/statekit/runtime"
)

var start = time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC)

func mustTime(t *testing.T, dst []byte, tm time.Time) []byte {
	t.Helper()
	b, err := runtime.AppendKeyTime(dst, tm)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseKey(t *testing.T) {
	str := runtime.AppendKeyString
	tests := []struct {
		name  string
		key   func(t *testing.T) []byte
		want  string
		group string
		kind  []string // field kinds
	}{
		{"aggregate of two strings",
			func(t *testing.T) []byte { return str(str([]byte("a/ModelLatency/"), "acme"), "m1") },
			`a/ModelLatency/ ("acme", "m1")`, "a/ModelLatency/", []string{"string", "string"}},
		{"window state: key fields, then the start",
			func(t *testing.T) []byte { return mustTime(t, str([]byte("w/UserClicks/"), "alice"), start) },
			`w/UserClicks/ ("alice", start=2026-01-02T15:04:00Z)`, "w/UserClicks/", []string{"string", "time"}},
		{"timer: the end, then key fields",
			func(t *testing.T) []byte { return str(mustTime(t, []byte("t/UserClicks/"), start), "alice") },
			`t/UserClicks/ (end=2026-01-02T15:04:00Z, "alice")`, "t/UserClicks/", []string{"time", "string"}},
		{"ints, negative and positive, a uint, a bool",
			func(t *testing.T) []byte {
				b := runtime.AppendKeyInt([]byte("a/T/"), -42)
				b = runtime.AppendKeyInt(b, 7)
				b = runtime.AppendKeyUint(b, 9)
				return runtime.AppendKeyBool(b, true)
			},
			`a/T/ (-42, 7, 9u, true)`, "a/T/", []string{"int", "int", "uint", "bool"}},
		{"a bool before a string",
			func(t *testing.T) []byte { return str(runtime.AppendKeyBool([]byte("a/T/"), true), "abc") },
			`a/T/ (true, "abc")`, "a/T/", []string{"bool", "string"}},
		{"a string of 8+ bytes is not read as a number",
			func(t *testing.T) []byte { return str([]byte("a/T/"), "abcdefghijk") },
			`a/T/ ("abcdefghijk")`, "a/T/", []string{"string"}},
		{"a string with a NUL inside: bytes",
			func(t *testing.T) []byte { return str([]byte("a/T/"), "a\x00b") },
			`a/T/ ("a\x00b")`, "a/T/", []string{"bytes"}},
		{"an empty string",
			func(t *testing.T) []byte { return str(str([]byte("a/T/"), ""), "x") },
			`a/T/ ("", "x")`, "a/T/", []string{"string", "string"}},
		{"invalid UTF-8: bytes, escaped",
			func(t *testing.T) []byte { return str([]byte("a/T/"), "\xff\xfe") },
			`a/T/ ("\xff\xfe")`, "a/T/", []string{"bytes"}},
		{"a raw key",
			func(t *testing.T) []byte { return []byte("window:123") },
			`"window:123"`, "window:", nil},
		{"a raw key without a separator",
			func(t *testing.T) []byte { return []byte("counter") },
			`"counter"`, "(other)", nil},
		{"a prefix with an undecodable rest",
			func(t *testing.T) []byte { return []byte("a/T/\x00\x05") },
			`a/T/ + "\x00\x05"`, "a/T/", nil},
		{"a prefix alone",
			func(t *testing.T) []byte { return []byte("w/T/") },
			`w/T/`, "w/T/", nil},
		{"not a prefix: no second slash",
			func(t *testing.T) []byte { return []byte("a/bc") },
			`"a/bc"`, "a/", nil},
		{"not a prefix: a control byte in the name",
			func(t *testing.T) []byte { return []byte("a/b\x01c/x") },
			`"a/b\x01c/x"`, "a/", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key(t)
			k := ParseKey(key)
			if got := k.String(); got != tt.want {
				t.Errorf("String() = %s, want %s", got, tt.want)
			}
			if got := k.Group(); got != tt.group {
				t.Errorf("Group() = %q, want %q", got, tt.group)
			}
			var kinds []string
			for _, f := range k.Fields {
				kinds = append(kinds, f.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(tt.kind, ",") {
				t.Errorf("field kinds %v, want %v", kinds, tt.kind)
			}
			if enc := k.encode(); !bytes.Equal(enc, key) {
				t.Errorf("re-encoded %q, want %q", enc, key)
			}
		})
	}
}

// TestParseKeyLinear: a 65000-byte key of escapes parses in linear time and
// memory (a quadratic parse would take seconds and gigabytes here).
func TestParseKeyLinear(t *testing.T) {
	key := []byte("a/T/")
	for len(key) < runtime.MaxKeySize-2 {
		key = append(key, 0x00, 0xff)
	}
	key = append(key, 0x00, 0x01)
	allocs := testing.AllocsPerRun(1, func() { ParseKey(key) })
	k := ParseKey(key)
	if len(k.Fields) != 1 || len(k.Fields[0].Bytes) != (len(key)-6)/2 || allocs > 20 {
		t.Errorf("%d fields, %d allocs", len(k.Fields), int(allocs))
	}
}

func FuzzParseKey(f *testing.F) {
	f.Add([]byte("a/ModelLatency/acme\x00\x01m1\x00\x01"))
	f.Add([]byte("w/UserClicks/alice\x00\x01\x98\x87\x65\x43\x21\x00\x00\x00"))
	f.Add([]byte("t/UserClicks/\x98\x87\x65\x43\x21\x00\x00\x00alice\x00\x01"))
	f.Add([]byte("window:123"))
	f.Add([]byte("a/T/\x00\xff\x00\x01\x01"))
	f.Add([]byte("w/T/\x00"))
	f.Fuzz(func(t *testing.T, key []byte) {
		k := ParseKey(key)
		if enc := k.encode(); !bytes.Equal(enc, key) {
			t.Fatalf("ParseKey(%q) re-encodes to %q", key, enc)
		}
		if s := k.String(); strings.ContainsAny(s, "\n\r") {
			t.Fatalf("String() spans lines: %q", s)
		}
		_ = k.Group()
		for _, f := range k.Fields {
			if _, err := json.Marshal(f.JSON()); err != nil {
				t.Fatalf("field %+v: %v", f, err)
			}
		}
	})
}

func TestValueText(t *testing.T) {
	enc := func(v any) []byte {
		b, err := runtime.CBOREncMode.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name  string
		value []byte
		text  string
		json  string // "" when not CBOR
	}{
		{"map", enc(map[string]any{"Clicks": 3, "UserID": "alice"}), `{"Clicks": 3, "UserID": "alice"}`, `{"Clicks":3,"UserID":"alice"}`},
		{"keyasint map", enc(map[int]any{1: "a", 2: 2.5}), `{1: "a", 2: 2.5}`, `{"1":"a","2":2.5}`},
		{"int and string keys that look alike", enc(map[any]any{1: "int", "1": "text"}), `{1: "int", "1": "text"}`, `{"1":"text","1#2":"int"}`},
		{"NaN and infinities", enc([]any{math.NaN(), math.Inf(1), math.Inf(-1)}), `[NaN, Infinity, -Infinity]`, `["NaN","+Inf","-Inf"]`},
		{"bytes", enc([]byte{1, 2}), `h'0102'`, `"0102"`},
		{"tag", func() []byte { b, _ := cbor.Marshal(cbor.Tag{Number: 100, Content: "x"}); return b }(), `100("x")`, `{"tag":100,"value":"x"}`},
		{"big negative int", []byte{0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, `-18446744073709551616`, `"-18446744073709551616"`},
		{"empty", nil, `(empty)`, ""},
		{"text, not CBOR", []byte("clicks=3"), `raw "clicks=3"`, ""},
		{"two items", []byte{0x01, 0x02}, `raw "\x01\x02"`, ""},
		{"truncated", enc("hello")[:3], `raw "ehe"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValueText(tt.value); got != tt.text {
				t.Errorf("ValueText = %s, want %s", got, tt.text)
			}
			v, ok := ValueJSON(tt.value)
			if ok != (tt.json != "") {
				t.Fatalf("ValueJSON ok = %v", ok)
			}
			if !ok {
				return
			}
			b, err := json.Marshal(v)
			if err != nil || string(b) != tt.json {
				t.Errorf("JSON = %s, %v; want %s", b, err, tt.json)
			}
		})
	}
}

func FuzzValue(f *testing.F) {
	for _, v := range []any{map[string]any{"a": 1}, []any{1.5, "x", nil, true}, cbor.Tag{Number: 1, Content: 1}, []byte{0}} {
		b, _ := cbor.Marshal(v)
		f.Add(b)
	}
	f.Add([]byte("clicks=3"))
	f.Fuzz(func(t *testing.T, v []byte) {
		if s := ValueText(v); s == "" {
			t.Fatal("empty text")
		}
		if x, ok := ValueJSON(v); ok {
			if _, err := json.Marshal(x); err != nil {
				t.Fatalf("ValueJSON(%x) does not marshal: %v", v, err)
			}
		}
	})
}

func TestProgressBar(t *testing.T) {
	tests := []struct {
		done, total int64
		want        string
	}{
		{0, 10, "[>         ]   0.0%  0/10 entries  1.5s"},
		{5, 10, "[=====>    ]  50.0%  5/10 entries  1.5s"},
		{10, 10, "[==========] 100.0%  10/10 entries  1.5s"},
		{12, 10, "[==========] 100.0%  12/10 entries  1.5s"},
		{0, 0, "[==========] 100.0%  0/0 entries  1.5s"},
	}
	for _, tt := range tests {
		if got := progressBar(tt.done, tt.total, 1500*time.Millisecond, 10); got != tt.want {
			t.Errorf("progressBar(%d, %d) = %q, want %q", tt.done, tt.total, got, tt.want)
		}
	}
}

func TestHuman(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 20 << 20: "20.0 MiB", 3 << 40: "3.0 TiB"} {
		if got := human(n); got != want {
			t.Errorf("human(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestWatermarkValue(t *testing.T) {
	at := time.Date(2026, 11, 26, 12, 0, 0, 5, time.UTC)
	enc, err := runtime.AppendKeyTime(nil, at)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key   string
		value []byte
		ok    bool
	}{
		{"t/Clicks:watermark", enc, true},
		{"t/Clicks:watermark", enc[:7], false},
		{"t/Clicks/x:watermark", enc, false}, // a timer key, not a store's watermark
		{"w/Clicks:watermark", enc, false},
		{"t/Clicks:other", enc, false},
	}
	for _, tt := range tests {
		got, ok := watermarkValue([]byte(tt.key), tt.value)
		if ok != tt.ok || (ok && !got.Equal(at)) {
			t.Errorf("watermarkValue(%q, %x) = %v, %v; want ok=%v", tt.key, tt.value, got, ok, tt.ok)
		}
	}
}
