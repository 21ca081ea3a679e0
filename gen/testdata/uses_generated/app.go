package app

import (
	"context"

	"github.com/statekit/statekit/runtime"
)

// Totals is used below through names stategen has not generated yet: the
// package does not type-check until it has, and stategen must still run.
//
//statekit:aggregate
type Totals struct {
	Account string `statekit:"key"`
	Cents   int64  `statekit:"sum"`
}

// Credit adds cents to an account.
func Credit(ctx context.Context, b runtime.Backend, account string, cents int64) error {
	return NewTotalsStore(b).Merge(ctx, Totals{Account: account, Cents: cents})
}
