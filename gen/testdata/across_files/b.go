package across

//statekit:window size=30s
type Beta struct {
	ID    uint64 `statekit:"key"`
	Count int64  `statekit:"count"`
}
