package app

import "testing"

// Fixture exists only in the package's tests; so does its store.
//
//statekit:aggregate
type Fixture struct {
	Case string `statekit:"key"`
	Runs int64  `statekit:"count"`
}

func TestFixtureStore(t *testing.T) {
	_ = NewFixtureStore(nil)
	_ = NewOrdersStore(nil)
}
