package app

// Orders is the package's own store.
//
//statekit:aggregate
type Orders struct {
	ID    string `statekit:"key"`
	Total int64  `statekit:"sum"`
}
