package stale

// Renamed was called OldName when old_state.go was generated; that file no
// longer compiles, and stategen must regenerate through it.
//
//statekit:aggregate
type Renamed struct {
	ID string `statekit:"key"`
	N  int64  `statekit:"sum"`
}
