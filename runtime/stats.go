package runtime

// Stats counts a backend's operations since it was opened, and reports its size.
//
// GetCount = HitCount + MissCount. ExpiredCount counts entries removed because
// they expired. Entries, MemoryBytes and DiskBytes are estimates where a backend
// says so; a backend that cannot tell reports -1.
type Stats struct {
	GetCount, HitCount, MissCount, PutCount, DeleteCount, ListCount, ExpiredCount uint64
	Entries, MemoryBytes, DiskBytes                                               int64
	// CacheHitCount and CacheMissCount count the Gets a backend's value cache
	// answered and the ones it passed on to the store (Badger's cache, for
	// one); both stay 0 for a backend without one.
	CacheHitCount, CacheMissCount uint64
}

// HitRate is HitCount / GetCount, or 0 before the first Get.
func (s Stats) HitRate() float64 {
	if s.GetCount == 0 {
		return 0
	}
	return float64(s.HitCount) / float64(s.GetCount)
}
