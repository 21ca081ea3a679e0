//go:build !windows

package constrained

// NotOnWindows is built everywhere but Windows: so is its store.
//
//statekit:aggregate
type NotOnWindows struct {
	K string `statekit:"key"`
}
