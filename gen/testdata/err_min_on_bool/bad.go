package bad

//statekit:aggregate
type Totals struct {
	User string `statekit:"key"`
	Ok   bool   `statekit:"min"`
}
