package agg

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
