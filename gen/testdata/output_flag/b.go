package out

//statekit:aggregate
type Two struct {
	K string `statekit:"key"`
	N int    `statekit:"sum"`
}
