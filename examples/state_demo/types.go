package main

//go:generate go run github.com/statekit/statekit/cmd/stategen

import "time"

// MerchantWindow is each merchant's orders in sliding one-minute windows,
// every 20 seconds. A window fires when the watermark passes its end; the job
// holds its watermark 6 seconds behind the newest order, so orders up to 6
// seconds late still count.
//
//statekit:window size=1m slide=20s lateness=5s
type MerchantWindow struct {
	Merchant string `statekit:"key"`
	Orders   int64  `statekit:"count"`
	Cents    int64  `statekit:"sum"`
	Largest  int64  `statekit:"max"`
}

// CustomerTotals is each customer's orders since the stream began.
//
//statekit:aggregate
type CustomerTotals struct {
	Customer     string    `statekit:"key"`
	Orders       int64     `statekit:"count"`
	Cents        int64     `statekit:"sum"`
	Largest      int64     `statekit:"max"`
	First        time.Time `statekit:"min"`
	Last         time.Time `statekit:"max"`
	LastMerchant string    // last write wins
}

// Progress is the job's own state, kept in the same backend as the stores so
// that a checkpoint holds it together with them: the offset of the next event
// to read, and what the job derived from the events before it.
//
//statekit:aggregate
type Progress struct {
	Job       string    `statekit:"key"`
	Source    string    // which input the offset is in
	Offset    int64     // the next event to read
	Newest    time.Time // the newest event time seen
	Watermark time.Time // the last watermark FireDue was given
	Late      int64     // events dropped as late
	Fired     int64     // windows fired
}
