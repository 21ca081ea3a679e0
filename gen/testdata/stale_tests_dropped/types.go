package dropped

// T had a field Old when stategen -tests wrote types_state_test.go; this run
// is without -tests.
//
//statekit:aggregate
type T struct {
	ID string `statekit:"key"`
}
