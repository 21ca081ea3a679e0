package constrained

// OnWindows is built on Windows only: the loader on Linux does not see it.
//
//statekit:aggregate
type OnWindows struct {
	K string `statekit:"key"`
}
