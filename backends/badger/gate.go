package badger

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statekit/statekit/runtime"
)

// gate admits operations, and lets Restore and Close wait for those in flight.
//
// A reader-writer lock would deadlock here: a Scan holds it shared, a Restore
// waits for it exclusively, and a Delete from inside the Scan's callback waits
// behind the Restore, which waits for the Scan. So the gate counts what is in
// flight, and while a Restore waits it still admits operations as long as an
// operation that runs the caller's code (a Scan callback, a Snapshot loop, an
// UpdateFunc) is in flight: the new one may come from that code. Once nothing
// is in flight the Restore has the backend to itself (see admit for why no
// operation can slip in after that), and operations wait for it to end.
//
// Every field is read and written with sequentially consistent atomics; the
// proof that a Restore is alone once it has seen active == 0 relies on it.
type gate struct {
	active  atomic.Int64 // operations admitted and not yet done
	calling atomic.Int64 // of which, those running the caller's code
	excl    atomic.Bool  // a Restore waits for, or holds, the backend alone
	closed  atomic.Bool

	mu sync.Mutex // one Restore or Close at a time
}

// gateKind says whether an operation runs the caller's code while admitted.
type gateKind bool

const (
	plainOp   gateKind = false
	callingOp gateKind = true
)

// errRestoring is what a Snapshot started during a Restore returns.
var errRestoring = fmt.Errorf("%w: a Restore of this backend is running", runtime.ErrConflict)

// gatePoll is how long a waiting operation sleeps between attempts: waits
// happen only while a Restore runs, so they need not be prompt to the
// microsecond.
const gatePoll = 100 * time.Microsecond

// admit admits an operation of the given kind. It fails with ErrClosed once
// Close has begun. While a Restore waits or runs it waits (wait true) or fails
// at once with errRestoring (wait false), unless an operation running the
// caller's code is in flight, which lets the new one in: at once if it is a
// plain one, after nestedGrace if it runs the caller's code too.
//
// Why a Restore that has seen active == 0 is alone: an operation increments
// active before it reads excl, and a Restore sets excl before it reads active,
// so an operation counted after that read sees excl and needs calling > 0. But
// calling counts operations already admitted (and still counted in active),
// each of which was admitted after the Restore's read under the same rule. The
// first of them found calling == 0 and backed off: none gets in.
func (g *gate) admit(kind gateKind, wait bool) error {
	var since time.Time // when a calling operation began to wait
	patient := false    // it has waited nestedGrace
	for {
		if g.closed.Load() {
			return runtime.ErrClosed
		}
		g.active.Add(1)
		if g.closed.Load() {
			g.active.Add(-1)
			return runtime.ErrClosed
		}
		if !g.excl.Load() || (g.calling.Load() > 0 && (kind == plainOp || patient)) {
			if kind == callingOp {
				g.calling.Add(1)
			}
			return nil
		}
		g.active.Add(-1)
		if !wait {
			return errRestoring
		}
		if kind == callingOp {
			if since.IsZero() {
				since = time.Now()
			} else if time.Since(since) >= nestedGrace {
				patient = true
			}
		}
		time.Sleep(gatePoll)
	}
}

// nestedGrace is how long a new operation that runs the caller's code (a
// Scan, an Update) waits while a Restore waits, before it is let in because a
// calling operation is in flight (it may be nested in it). Plain operations are
// let in at once; making new Scans wait lets the Restore start once the Scans
// in flight end, instead of waiting for a gap between overlapping Scans that
// may never come.
const nestedGrace = 5 * time.Millisecond

// exit ends an operation admit admitted.
func (g *gate) exit(kind gateKind) {
	if kind == callingOp {
		g.calling.Add(-1)
	}
	g.active.Add(-1)
}

// lockRestore gives the caller the backend alone: it waits for the operations
// in flight to end, while admitting new ones only as admit describes. It fails
// when ctx ends or Close begins first. On success, unlockRestore must follow.
func (g *gate) lockRestore(ctx context.Context) error {
	// Another Restore may hold the backend: wait for it as for the
	// operations in flight, so that ctx ends this wait too.
	for !g.mu.TryLock() {
		if g.closed.Load() {
			return runtime.ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(gatePoll)
	}
	if g.closed.Load() {
		g.mu.Unlock()
		return runtime.ErrClosed
	}
	g.excl.Store(true)
	for g.active.Load() != 0 {
		var err error
		switch {
		case g.closed.Load():
			err = runtime.ErrClosed
		case ctx.Err() != nil:
			err = ctx.Err()
		}
		if err != nil {
			g.excl.Store(false)
			g.mu.Unlock()
			return err
		}
		time.Sleep(gatePoll)
	}
	if g.closed.Load() {
		g.unlockRestore()
		return runtime.ErrClosed
	}
	return nil
}

func (g *gate) unlockRestore() {
	g.excl.Store(false)
	g.mu.Unlock()
}

// close makes every later admit fail with ErrClosed and waits for the
// operations in flight and a running Restore to end. It reports whether this
// call closed the gate (false: it was closed already).
func (g *gate) close() bool {
	if g.closed.Swap(true) {
		return false
	}
	g.mu.Lock()
	for g.active.Load() != 0 {
		time.Sleep(gatePoll)
	}
	g.mu.Unlock()
	return true
}
