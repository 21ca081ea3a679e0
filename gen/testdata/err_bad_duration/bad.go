package bad

//statekit:window size=1x
type Clicks struct {
	User string `statekit:"key"`
}
