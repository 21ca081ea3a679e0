package bad

//statekit:aggregate
type Totals struct {
	ID   string `statekit:"key"`
	Note string `statekit:"-"`
}
