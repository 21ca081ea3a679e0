package bad

//statekit:windw size=1m
type Clicks struct {
	User string `statekit:"key"`
}
