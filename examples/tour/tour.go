// Package tour is the README's 30-second tour: two annotated types and, in
// tour_state.go, the typed stores stategen writes for them. Its examples run
// every Go block the README shows, and a test checks that each block is
// quoted from them, so none of them can stop compiling unnoticed.
package tour

//go:generate go tool stategen

//statekit:aggregate ttl=24h
type ModelLatency struct {
	Tenant string  `statekit:"key"`
	Model  string  `statekit:"key"`
	Calls  int64   `statekit:"count"`
	Total  float64 `statekit:"sum"`
	Worst  float64 `statekit:"max"`
	Best   float64 `statekit:"min"`
	Last   string  // no op: last write wins
}

//statekit:window size=1m slide=10s lateness=5s
type ClickWindow struct {
	UserID string `statekit:"key"`
	Clicks int64  `statekit:"count"`
	Bytes  int64  `statekit:"sum"`
}
