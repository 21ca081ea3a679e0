package bad

//statekit:aggregate
type Totals[T any] struct {
	User string `statekit:"key"`
	V    T
}
