package bad

//statekit:window size=1m size=2m
type Clicks struct {
	User string `statekit:"key"`
}
