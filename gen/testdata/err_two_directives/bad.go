package bad

//statekit:aggregate
//statekit:window size=1m
type Totals struct {
	User string `statekit:"key"`
}
