package across

//statekit:aggregate
type Alpha struct {
	ID  uint64 `statekit:"key"`
	Sum int64  `statekit:"sum"`
}
