package bad

//statekit:aggregate
type Totals struct {
	User  string `statekit:"key"`
	count int    `statekit:"count"`
}
