package counts

//statekit:aggregate
type Hits struct {
	Path string `statekit:"key"`
	Hits uint64 `statekit:"count"`
	Size int64  `statekit:"sum"`
}
