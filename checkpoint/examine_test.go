package checkpoint

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/statekit/statekit/runtime"
)

// TestExamine: what retention may delete (valid, damaged) and what it keeps
// (unsupported, foreign, unreadable), told apart file by file.
func TestExamine(t *testing.T) {
	dir := t.TempDir()
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	entries := func(yield func(runtime.Entry, error) bool) {
		yield(runtime.Entry{Key: []byte("k"), Value: []byte("v")}, nil)
	}
	info, err := writeFile(context.Background(), dir, "20260101T000000.000000000Z", created, created, false, entries)
	if err != nil {
		t.Fatal(err)
	}
	valid, err := os.ReadFile(filepath.Join(dir, info.ID+fileExt))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	versionBit := append([]byte(nil), valid...)
	binary.LittleEndian.PutUint16(versionBit[8:], version+1) // checksum left as it was
	tests := []struct {
		name string
		path string
		want fileStatus
	}{
		{"valid", write("valid", valid), fileValid},
		{"truncated", write("truncated", valid[:len(valid)-1]), fileDamaged},
		{"flipped bit in the version", write("version", versionBit), fileDamaged},
		{"not a checkpoint", write("foreign", []byte("hello")), fileForeign},
		{"empty", write("empty", nil), fileForeign},
		{"missing", filepath.Join(dir, "missing"), fileUnreadable},
		{"a directory (read fails)", t.TempDir(), fileUnreadable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := examine(tc.path); got != tc.want {
				t.Errorf("examine = %d (%v), want %d", got, err, tc.want)
			}
		})
	}
}
