package bad_test

// Fixture is in the external test package, which stategen does not write to.
//
//statekit:aggregate
type Fixture struct {
	ID string `statekit:"key"`
}
