package merge

// Histogram merges with its own method, not field ops.
//
//statekit:aggregate
type Histogram struct {
	Metric  string `statekit:"key"`
	Buckets [8]uint64
}

// Merge adds other's buckets to h's.
func (h Histogram) Merge(other Histogram) Histogram {
	for i, n := range other.Buckets {
		h.Buckets[i] += n
	}
	return h
}
