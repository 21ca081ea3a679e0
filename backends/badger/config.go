package badger

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/statekit/statekit/runtime"
)

// Config configures a Backend. Build it with NewConfig and the With methods; each
// returns a changed copy.
type Config struct {
	dir           string
	cacheCapacity int64
	cacheSet      bool // false: Badger's default
	compression   bool
	flushEvery    int
	ttl           time.Duration
	syncWrites    bool
	inMemory      bool
	updateRetries int
	logger        *slog.Logger
	diskReserve   int64
	reserveSet    bool // false: DefaultDiskReserve
}

// DefaultUpdateRetries is how many times Update retries a transaction that
// conflicted with a concurrent write before it returns runtime.ErrConflict.
const DefaultUpdateRetries = 32

// DefaultValueCache is the size of the value cache when WithCacheCapacity is
// not given.
const DefaultValueCache = 32 << 20

// valueCacheSize is the capacity of the value cache c asks for.
func (c Config) valueCacheSize() int64 {
	if c.cacheSet {
		return c.cacheCapacity / 2
	}
	return DefaultValueCache
}

// NewConfig returns the configuration of a Backend stored in dir: Badger's
// default cache, no compression, no TTL, writes synced to disk only by Flush
// (or by the operating system).
func NewConfig(dir string) Config {
	return Config{dir: dir, updateRetries: DefaultUpdateRetries}
}

// WithCacheCapacity bounds the memory the backend caches reads in: half of it
// goes to a value cache in front of Badger, which answers a hot Get with a map
// lookup and a copy instead of a read transaction and is kept coherent by
// every write path of the backend (a Get never returns a value older than the
// last write that returned, nor an expired one); the other half to Badger's
// block cache, which keeps reads from decompressing a block twice. 0 turns
// both off. The default is a value cache of DefaultValueCache bytes and
// Badger's own default block cache (256 MiB).
//
// Writes made through DB() bypass the value cache: a Get may then return
// the value from before them until the key is written through the Backend.
func (c Config) WithCacheCapacity(bytes int64) Config {
	c.cacheCapacity, c.cacheSet = bytes, true
	return c
}

// WithCompression turns zstd compression of Badger's tables on or off.
func (c Config) WithCompression(on bool) Config { c.compression = on; return c }

// WithFlushEvery syncs the store to disk after every n writes (Put, Delete,
// Update, and each write of a Batch). 0 turns it off.
func (c Config) WithFlushEvery(n int) Config { c.flushEvery = n; return c }

// WithTTL sets the time to live of entries written by Put (0: never expire).
// Badger keeps expiry times in whole seconds: an entry expires at the first
// whole second at or after its TTL runs out, so never early and at most one
// second late.
func (c Config) WithTTL(d time.Duration) Config { c.ttl = d; return c }

// WithSyncWrites makes every write wait until it is synced to disk: slower, and
// nothing acknowledged is lost even when the machine fails.
func (c Config) WithSyncWrites(on bool) Config { c.syncWrites = on; return c }

// WithInMemory keeps everything in memory and nothing on disk; the directory is
// not used.
func (c Config) WithInMemory(on bool) Config { c.inMemory = on; return c }

// WithUpdateRetries sets how many times Update retries a conflicting
// transaction (default DefaultUpdateRetries).
func (c Config) WithUpdateRetries(n int) Config { c.updateRetries = n; return c }

// WithDiskReserve sets how much free space the store's filesystem keeps
// (default DefaultDiskReserve, 128 MiB). Badger writes through memory-mapped
// files, and a write into a full filesystem kills the process with SIGBUS; so
// a write that would leave less than the reserve free, beyond the memtables
// Badger has yet to write out as tables, fails instead with an error wrapping
// ErrDiskFull (and syscall.ENOSPC), and everything written before it is synced
// to disk. Deletes may use half of the reserve, so a full store can still be
// pruned. Writes are accepted again as soon as space is freed, and a closed
// store opens again once half the reserve is free.
//
// The guard asks the filesystem only once the writes since its last look have
// used a quarter of the room it found (and at most a quarter of the reserve, so
// that other writers on the filesystem are noticed), so it costs an atomic add
// per write.
// The reserve must also hold what Badger's background compactions write
// before they delete what they replace: a few tables (64 MiB each) for the
// defaults. The guard is off on systems that do not report free space
// (non-Unix) and in memory.
func (c Config) WithDiskReserve(bytes int64) Config {
	c.diskReserve, c.reserveSet = bytes, true
	return c
}

// reserveBytes is the reserve in effect.
func (c Config) reserveBytes() int64 {
	if !c.reserveSet {
		return DefaultDiskReserve
	}
	return c.diskReserve
}

// WithLogger sends Badger's logs to l (default slog.Default()). Badger's
// errors and warnings are logged at Error and Warn; its routine info messages at
// Debug.
func (c Config) WithLogger(l *slog.Logger) Config { c.logger = l; return c }

// Validate reports what is wrong with c, naming the setting: no directory, a
// directory that is a file, a negative size, count or duration.
func (c Config) Validate() error {
	bad := func(what string, v any, why string) error {
		return fmt.Errorf("badger config: %s %v: %w: %s", what, v, runtime.ErrInvalidArgument, why)
	}
	switch {
	case c.cacheCapacity < 0:
		return bad("WithCacheCapacity", c.cacheCapacity, "must not be negative")
	case c.flushEvery < 0:
		return bad("WithFlushEvery", c.flushEvery, "must not be negative")
	case c.ttl < 0:
		return bad("WithTTL", c.ttl, "must not be negative")
	case c.diskReserve < 0:
		return bad("WithDiskReserve", c.diskReserve, "must not be negative")
	case c.updateRetries < 0:
		return bad("WithUpdateRetries", c.updateRetries, "must not be negative")
	case c.inMemory:
		return nil
	case c.dir == "":
		return bad("directory", `""`, "no directory given (use WithInMemory(true) for a store without one)")
	}
	fi, err := os.Stat(c.dir)
	switch {
	case err == nil && !fi.IsDir():
		return bad("directory", c.dir, "is a file, not a directory")
	case err != nil && !os.IsNotExist(err):
		return fmt.Errorf("badger config: directory %s: %w", c.dir, err)
	}
	return nil
}
