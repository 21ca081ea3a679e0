package out

//statekit:aggregate
type One struct {
	K string `statekit:"key"`
	N int    `statekit:"sum"`
}
