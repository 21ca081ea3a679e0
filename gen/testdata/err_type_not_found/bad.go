package bad

//statekit:aggregate
type Totals struct {
	ID string `statekit:"key"`
}

//statekit:aggregate
type Counts struct {
	ID string `statekit:"key"`
}
