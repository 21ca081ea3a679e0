package hostile

//statekit:aggregate
type clicks struct {
	K string `statekit:"key"`
	N int64  `statekit:"sum"`
}

//statekit:aggregate
type _under struct {
	K string `statekit:"key"`
}

//statekit:aggregate
type Ωmega struct {
	K string `statekit:"key"`
}

// HTTPStats starts with an initialism: its unexported names start "http", not
// "hTTP".
//
//statekit:aggregate
type HTTPStats struct {
	URL string `statekit:"key"`
	N   int64  `statekit:"sum"`
}
