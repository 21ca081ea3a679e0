package bad

//statekit:aggregate prefix=totals
type Totals struct {
	User string `statekit:"key"`
}

//statekit:aggregate prefix=totals
type MoreTotals struct {
	User string `statekit:"key"`
}
