package main

//go:generate go run ../../cmd/stategen

import "time"

// UserClicks counts each user's clicks in sliding one-minute windows, every
// 20 seconds, firing 5 seconds after a window ends.
//
//statekit:window size=1m slide=20s lateness=5s
type UserClicks struct {
	User   string    `statekit:"key"`
	Clicks int64     `statekit:"count"`
	Bytes  int64     `statekit:"sum"`
	Last   time.Time `statekit:"max"`
}

// PageStats aggregates each page's traffic.
//
//statekit:aggregate
type PageStats struct {
	Page    string    `statekit:"key"`
	Views   int64     `statekit:"count"`
	Bytes   int64     `statekit:"sum"`
	Largest int64     `statekit:"max"`
	First   time.Time `statekit:"min"`
	Referer string    // last write wins
}
