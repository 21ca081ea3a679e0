package bad

//statekit:aggregate
type Totals struct {
	N int `statekit:"sum"`
}
