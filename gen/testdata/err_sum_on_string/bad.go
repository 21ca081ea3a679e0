package bad

//statekit:aggregate
type Totals struct {
	User string `statekit:"key"`
	Name string `statekit:"sum"`
}
