package main

//go:generate go run github.com/statekit/statekit/cmd/stategen

import "time"

// ModelLatency aggregates the LLM calls of one tenant to one model: how many,
// how long in total, the fastest and the slowest, the first and the last.
//
//statekit:aggregate ttl=720h
type ModelLatency struct {
	Tenant     string    `statekit:"key"`
	Model      string    `statekit:"key"`
	Calls      int64     `statekit:"count"`
	TotalMs    float64   `statekit:"sum"`
	BestMs     float64   `statekit:"min"`
	WorstMs    float64   `statekit:"max"`
	Tokens     int64     `statekit:"sum"`
	Errors     int64     `statekit:"sum"`
	FirstCall  time.Time `statekit:"first"`
	LastCall   time.Time `statekit:"last"`
	LastStatus string    `statekit:"last"`
}
