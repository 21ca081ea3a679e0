//go:build !unix

package redistest

import "syscall"

// No stop and continue signals here: Pause skips the test.
const sigStop, sigCont = syscall.Signal(0), syscall.Signal(0)
