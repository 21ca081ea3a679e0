package bad

//statekit:aggregate
type Notes struct {
	ID   string `statekit:"key"`
	Seen int64  `statekit:"count"`
	note string // unexported, untagged: it would read back empty
}
