package bad

//statekit:window size=10s slide=1m
type Clicks struct {
	User string `statekit:"key"`
}
