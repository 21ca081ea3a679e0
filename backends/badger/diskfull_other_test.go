//go:build !linux

package badger_test

// runDiskFullChild: the full-disk test mounts a tmpfs, which only Linux has.
func runDiskFullChild() {}
