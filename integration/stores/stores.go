// Package stores holds annotated types whose generated stores the integration
// tests run on both backends: every merge op, both kinds of window, a custom
// Merge, keys of every supported kind, TTL.
package stores

//go:generate go run ../../cmd/stategen -tests

import "time"

// ModelLatency aggregates call latencies per tenant and model.
//
//statekit:aggregate ttl=1h
type ModelLatency struct {
	Tenant string  `statekit:"key"`
	Model  string  `statekit:"key"`
	Calls  int64   `statekit:"count"`
	Total  float64 `statekit:"sum"`
	Worst  float64 `statekit:"max"`
	Best   float64 `statekit:"min"`
	Region string  `statekit:"first"`
	Last   string  // no op: last write wins
}

// ClickWindow counts clicks per user in sliding one-minute windows.
//
//statekit:window size=1m slide=20s lateness=5s
type ClickWindow struct {
	UserID string    `statekit:"key"`
	Clicks int64     `statekit:"count"`
	Bytes  int64     `statekit:"sum"`
	First  time.Time `statekit:"min"`
	Last   time.Time `statekit:"max"`
}

// Tumbling counts events per binary key in tumbling ten-second windows.
//
//statekit:window size=10s
type Tumbling struct {
	Key []byte `statekit:"key"`
	N   int64  `statekit:"count"`
	Sum uint64 `statekit:"sum"`
}

// Histogram merges with its own method.
//
//statekit:aggregate
type Histogram struct {
	Metric  string `statekit:"key"`
	Buckets [4]uint64
}

// Merge adds other's buckets.
func (h Histogram) Merge(other Histogram) Histogram {
	for i, n := range other.Buckets {
		h.Buckets[i] += n
	}
	return h
}

// Device has a key of every supported kind, and values the codec hands to the
// fxamacker modes.
//
//statekit:aggregate
type Device struct {
	Site   string            `statekit:"key"`
	Serial []byte            `statekit:"key"`
	Rack   int16             `statekit:"key"`
	Slot   uint8             `statekit:"key"`
	Spare  bool              `statekit:"key"`
	Since  time.Time         `statekit:"key"`
	Temps  []float64         `statekit:"last"`
	Labels map[string]string `statekit:"first"`
	Boots  uint32            `statekit:"count"`
}
