package bad

//statekit:window sise=1m
type Clicks struct {
	User string `statekit:"key"`
}
