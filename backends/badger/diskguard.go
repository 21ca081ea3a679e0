package badger

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrDiskFull is wrapped by the error of a write refused because the store's
// filesystem is nearly full (see WithDiskReserve). On Unix the error also
// wraps syscall.ENOSPC. Nothing of the refused write is stored; what was
// written before it is kept and synced to disk.
var ErrDiskFull = errors.New("statekit: disk nearly full")

// DefaultDiskReserve is the free space WithDiskReserve keeps by default.
const DefaultDiskReserve = 128 << 20

// entryOverhead is what a write costs on disk beyond its key and value, about:
// Badger's entry header, version and checksum.
const entryOverhead = 64

// fullRecheck is how often a guard that found the disk full looks again, at
// most: writes refused meanwhile cost no system call.
const fullRecheck = 20 * time.Millisecond

// diskGuard turns a nearly full filesystem into an error before Badger writes
// into it. Badger writes its write-ahead log, its value log and its tables
// through memory-mapped sparse files: a write into a page the filesystem
// cannot allocate is a SIGBUS that kills the process, which recover cannot
// catch. So each write first takes its size from a budget; only when the
// budget is spent does the guard ask the filesystem (statfs) how much is
// free, and it refills the budget with a quarter of what is free beyond what
// must stay: the reserve, plus the memtables Badger has yet to write out as
// tables (the size of its .mem files). A write costs about twice its size on
// disk (the log, then the table), so the quarter leaves a margin. The budget
// is at most a quarter of the reserve, so that space taken by other writers
// on the filesystem is seen before the reserve is gone.
type diskGuard struct {
	dir      string
	reserve  int64
	log      *slog.Logger
	syncFull func() error // syncs the DB when the guard trips

	budget atomic.Int64 // bytes writes may take before the next look

	// A Restore's StreamWriter builds whole tables in memory and writes each
	// at once: streamed counts what it was handed, and streamBase the space
	// its tables and value logs took when it began, so that what is not on
	// disk yet counts as pending.
	streamed   atomic.Int64
	streamBase atomic.Int64

	mu        sync.Mutex // one look at a time; guards the fields below
	full      bool       // the last look found too little space
	lastLook  time.Time
	lastError error
}

// newDiskGuard returns the guard of a store in dir, or nil when there is
// nothing to guard (in memory, or a system that cannot tell free space).
func newDiskGuard(cfg Config, log *slog.Logger) *diskGuard {
	if cfg.inMemory {
		return nil
	}
	if _, ok := freeSpace(cfg.dir); !ok {
		return nil
	}
	return &diskGuard{dir: cfg.dir, reserve: cfg.reserveBytes(), log: log}
}

// take admits a write of n bytes (key, value and overhead). A delete (del)
// may use half of the reserve, so that a full store can still be emptied.
func (g *diskGuard) take(n int64, del bool) error {
	if g == nil || g.budget.Add(-n) >= 0 {
		return nil
	}
	return g.look(n, del)
}

// look asks the filesystem for its free space and refills the budget, or
// refuses the write of n bytes.
func (g *diskGuard) look(n int64, del bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.full && g.budget.Add(-n) >= 0 { // refilled while this write waited
		return nil
	}
	now := time.Now()
	if g.full && now.Sub(g.lastLook) < fullRecheck && !del {
		return g.lastError
	}
	g.lastLook = now
	free, ok := freeSpace(g.dir)
	if !ok { // statfs failed: look again after a while, not on every write
		g.budget.Store(max(g.reserve/4, 1<<20))
		return nil
	}
	pending := dirBytes(g.dir, ".mem")
	if streamed := g.streamed.Load(); streamed > 0 {
		written := dirBytes(g.dir, ".sst", ".vlog") - g.streamBase.Load()
		pending += max(0, streamed-written)
	}
	keep := g.reserve
	if del {
		keep /= 2
	}
	headroom := free - keep - pending
	if headroom >= 2*n {
		if g.full {
			g.log.Info("disk has room again: writes accepted", "dir", g.dir, "free", free)
		}
		g.full = false
		// At most a quarter of the reserve between looks, so that other
		// writers on the filesystem are noticed before they eat the reserve.
		g.budget.Store(min(headroom/4, max(g.reserve/4, 1<<20)) - n)
		return nil
	}
	err := fmt.Errorf("%w: %w: %d bytes free on the filesystem of %s; %d must stay free (reserve %d, memtables to write out %d)",
		ErrDiskFull, errNoSpace, free, g.dir, keep+pending, keep, pending)
	if !g.full {
		g.full = true
		g.log.Warn("disk nearly full: refusing writes until space is freed", "dir", g.dir, "free", free, "reserve", g.reserve, "memtables", pending)
		if g.syncFull != nil { // everything accepted so far reaches the disk
			if serr := g.syncFull(); serr != nil {
				g.log.Error("disk nearly full: syncing what was written", "err", serr)
			}
		}
	}
	g.budget.Store(0)
	g.lastError = err
	return err
}

// beginStream starts counting what a StreamWriter is handed.
func (g *diskGuard) beginStream() {
	if g != nil {
		g.streamBase.Store(dirBytes(g.dir, ".sst", ".vlog"))
		g.streamed.Store(0)
	}
}

// stream counts n bytes handed to the StreamWriter, and admits them as take
// does.
func (g *diskGuard) stream(n int64) error {
	if g == nil {
		return nil
	}
	g.streamed.Add(n)
	return g.take(n, false)
}

// endStream stops counting: the StreamWriter's tables are on disk, or dropped.
func (g *diskGuard) endStream() {
	if g != nil {
		g.streamed.Store(0)
	}
}

// dirBytes is the space the files in dir with one of the suffixes take. The
// memtable logs (.mem) are what Badger will write out as tables, about as
// large again.
func dirBytes(dir string, suffixes ...string) int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var total int64
	for _, e := range entries {
		if !slices.ContainsFunc(suffixes, func(s string) bool { return strings.HasSuffix(e.Name(), s) }) {
			continue
		}
		if fi, err := os.Stat(filepath.Join(dir, e.Name())); err == nil {
			total += allocated(fi)
		}
	}
	return total
}

// checkOpen refuses to open a store whose filesystem has too little room for
// Badger to start: replaying its memtable logs into tables, and half the
// reserve.
func checkOpen(cfg Config) error {
	if cfg.inMemory {
		return nil
	}
	free, ok := freeSpace(cfg.dir)
	if !ok {
		return nil
	}
	need := cfg.reserveBytes()/2 + dirBytes(cfg.dir, ".mem")
	if free < need {
		return fmt.Errorf("%w: %w: %d bytes free on the filesystem of %s, opening needs %d (half the reserve, and the memtables to write out): free some space first",
			ErrDiskFull, errNoSpace, free, cfg.dir, need)
	}
	return nil
}
