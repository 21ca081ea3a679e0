package kept

//statekit:aggregate
type A struct {
	ID string `statekit:"key"`
}
