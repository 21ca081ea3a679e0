package bad

//statekit:aggregate
type Totals struct {
	ID string `statekit:"key"`
	_  string `statekit:"key"`
}
