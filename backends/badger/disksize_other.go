//go:build !unix

package badger

import "io/fs"

// allocated is the file's apparent size where the system does not report
// allocated blocks.
func allocated(fi fs.FileInfo) int64 { return fi.Size() }
