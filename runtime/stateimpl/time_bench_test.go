package stateimpl

import (
	"testing"
	"time"
)

// BenchmarkAppendCBORTime compares the CBOR time encoder (hand-written RFC 3339)
// with the time package's formatter, which runtime.CBOREncMode uses.
func BenchmarkAppendCBORTime(b *testing.B) {
	t := time.Date(2026, 11, 25, 12, 3, 4, 123456789, time.UTC)
	buf := make([]byte, 0, 64)
	b.Run("statekit", func(b *testing.B) {
		for b.Loop() {
			buf, _ = AppendCBORTime(buf[:0], t)
		}
	})
	b.Run("appendformat", func(b *testing.B) {
		for b.Loop() {
			buf = t.UTC().AppendFormat(buf[:0], time.RFC3339Nano)
		}
	})
}
