//go:build !unix

package badger

import (
	"errors"
	"io/fs"
)

// allocated is the file's apparent size where the system does not report
// allocated blocks.
func allocated(fi fs.FileInfo) int64 { return fi.Size() }

// errNoSpace is wrapped by ErrDiskFull's errors.
var errNoSpace = errors.New("no space left on device")

// freeSpace cannot tell free space here: the disk guard is off.
func freeSpace(string) (int64, bool) { return 0, false }
