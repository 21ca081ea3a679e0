package bad

//statekit:window size=1m lateness=-5s
type Clicks struct {
	User string `statekit:"key"`
}
