//go:build unix

package badger

import (
	"io/fs"
	"syscall"
)

// allocated is the space a file takes on disk, as du counts it: Badger
// preallocates sparse files (its value log is a 2 GiB mapping from the start),
// so their apparent size says little.
func allocated(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return fi.Size()
}

// errNoSpace is wrapped by ErrDiskFull's errors.
var errNoSpace error = syscall.ENOSPC

// freeSpace returns the bytes available to this process on dir's filesystem.
func freeSpace(dir string) (int64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
