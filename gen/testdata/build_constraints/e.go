package constrained

// Everywhere is built everywhere.
//
//statekit:aggregate
type Everywhere struct {
	K string `statekit:"key"`
}
