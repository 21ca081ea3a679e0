package bad

//statekit:aggregate
type Totals struct {
	User string `statekit:"key"`
	N    int    `statekit:"summ"`
}
