package stale

//statekit:aggregate
type B struct {
	ID string `statekit:"key"`
	N  int64  `statekit:"sum"`
}
