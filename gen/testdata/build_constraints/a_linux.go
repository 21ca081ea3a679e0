package constrained

// OnLinux is built on Linux only, by its file name: so is its store.
//
//statekit:aggregate
type OnLinux struct {
	K string `statekit:"key"`
}
