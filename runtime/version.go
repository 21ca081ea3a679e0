package runtime

// Files stategen generated before generator API version 2 check these at
// compile time: they declare
//
//	_ = runtime.EnforceVersion(1 - runtime.MinGenVersion)
//
// which no longer compiles, so that such a file fails at its version guard
// (regenerate it: go generate ./...) rather than at whatever moved. Files of
// version 2 and later check stateimpl.MinGenVersion instead.
const (
	// MinGenVersion is above every version the legacy guard can name.
	MinGenVersion = 2
	// MaxGenVersion is the last version that used the legacy guard.
	MaxGenVersion = 1
)

// EnforceVersion is the unsigned type of the legacy compile-time version check.
type EnforceVersion uint
