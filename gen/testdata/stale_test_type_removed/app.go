package app

//statekit:aggregate
type Orders struct {
	ID string `statekit:"key"`
}
