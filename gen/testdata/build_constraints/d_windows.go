package constrained

// OnWindows is built on Windows only: the loader on Linux does not see it.
//
//statekit:aggregate
type OnWindows struct {
	K string `statekit:"key"`
}

// runtime is declared on Windows only: generated files built there too must
// import the statekit runtime under another name, on every platform.
var runtime = 1
