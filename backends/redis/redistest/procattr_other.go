//go:build !linux

package redistest

import "syscall"

// procAttr: outside Linux there is no parent-death signal; t.Cleanup stops
// the servers.
func procAttr() *syscall.SysProcAttr { return nil }
