package bad

//statekit:aggregate
type Totals struct {
	ID string `statekit:"key"`
	N  int64
}
