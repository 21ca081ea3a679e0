package badger

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	bdb "github.com/dgraph-io/badger/v4"
)

// openDB opens Badger with opts. A process killed between Badger's creating
// a value log file and sizing it leaves the file empty, and Badger v4.9.6
// then refuses the directory ("Open existing file ... Create a new file"),
// so that a crashed job could never restart. An empty value log holds no
// entry, so openDB removes such files (the failed open may have sized them
// already) and opens once more, with a warning.
func openDB(opts bdb.Options, logger *slog.Logger) (*bdb.DB, error) {
	db, err := bdb.Open(opts)
	if err == nil || opts.InMemory || !strings.Contains(err.Error(), "Create a new file") {
		return db, err
	}
	// The failed open may already have sized the file; what is still empty
	// goes. Either way the next open finds no empty value log.
	removed, rerr := removeEmptyVlogs(opts.ValueDir)
	if rerr != nil {
		return nil, fmt.Errorf("%w (removing empty value logs: %v)", err, rerr)
	}
	logger.Warn("opening Badger again: a crash left empty value log files", "dir", opts.ValueDir, "removed", removed, "error", err)
	return bdb.Open(opts)
}

// removeEmptyVlogs removes the empty *.vlog files in dir and returns their names.
func removeEmptyVlogs(dir string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.vlog"))
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, name := range names {
		st, err := os.Stat(name)
		if err != nil {
			return removed, err
		}
		if st.Size() != 0 || !st.Mode().IsRegular() {
			continue
		}
		if err := os.Remove(name); err != nil {
			return removed, err
		}
		removed = append(removed, filepath.Base(name))
	}
	return removed, nil
}
