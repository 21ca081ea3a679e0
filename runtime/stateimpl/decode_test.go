package stateimpl_test

import (
	"testing"

	"github.com/statekit/statekit/runtime/stateimpl"
)

func TestOnce(t *testing.T) {
	r := stateimpl.NewCBORReader(nil)
	for _, i := range []int{0, 1, 63, 64, 200, 255} {
		if !r.Once(i) {
			t.Errorf("Once(%d) the first time = false", i)
		}
		if r.Once(i) {
			t.Errorf("Once(%d) the second time = true: a duplicate key would be decoded twice", i)
		}
	}
	if r.Once(256) {
		t.Error("Once(256) = true: fields past the 256th must go to CBORDecMode")
	}
}

func TestReadIntFitsTheField(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		ok8  bool
		ok64 bool
	}{
		{"127", []byte{0x18, 0x7f}, true, true},
		{"128", []byte{0x18, 0x80}, false, true},
		{"-128", []byte{0x38, 0x7f}, true, true},
		{"-129", []byte{0x38, 0x80}, false, true},
		{"text", []byte{0x61, 'a'}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var i8 int8
			r := stateimpl.NewCBORReader(tc.data)
			if got := stateimpl.ReadInt(&r, &i8); got != tc.ok8 {
				t.Errorf("int8: %v, want %v", got, tc.ok8)
			}
			type named int64
			var n named
			r = stateimpl.NewCBORReader(tc.data)
			if got := stateimpl.ReadInt(&r, &n); got != tc.ok64 {
				t.Errorf("named int64: %v, want %v", got, tc.ok64)
			}
		})
	}
}

func TestReadStringSkips(t *testing.T) {
	data := []byte{0x62, 'h', 'i', 0x01}
	var s string
	r := stateimpl.NewCBORReader(data)
	if !stateimpl.ReadString(&r, &s, true) || s != "" {
		t.Fatalf("skip: %q", s)
	}
	if x, ok := r.ReadInt(64); !ok || x != 1 {
		t.Fatalf("after the skipped string: %d, %v", x, ok)
	}
	r = stateimpl.NewCBORReader(data)
	if !stateimpl.ReadString(&r, &s, false) || s != "hi" {
		t.Fatalf("read: %q", s)
	}
}
