package bad

//statekit:aggregate prefix=a/b
type Totals struct {
	User string `statekit:"key"`
}
