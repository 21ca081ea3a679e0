package badger

import (
	"log/slog"
	"sync"
	"testing"
)

// BenchmarkAdmission measures what an operation pays to be admitted and to
// leave, in parallel: the gate (and the disk guard's budget for a write)
// beside the RWMutex TryRLock/RUnlock the gate replaced.
func BenchmarkAdmission(b *testing.B) {
	b.Run("rwmutex", func(b *testing.B) {
		var mu sync.RWMutex
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if mu.TryRLock() {
					mu.RUnlock()
				}
			}
		})
	})
	b.Run("gate", func(b *testing.B) {
		var g gate
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if g.admit(plainOp, true) == nil {
					g.exit(plainOp)
				}
			}
		})
	})
	b.Run("gate+guard", func(b *testing.B) {
		var g gate
		guard := newDiskGuard(NewConfig(b.TempDir()), slog.New(slog.DiscardHandler))
		if guard == nil {
			b.Skip("no free-space guard on this system")
		}
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if g.admit(plainOp, true) == nil {
					_ = guard.take(150, false)
					g.exit(plainOp)
				}
			}
		})
	})
}
