package bad

//statekit:window slide=10s
type Clicks struct {
	User string `statekit:"key"`
}
