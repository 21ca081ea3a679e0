package main

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Order is one event of the input stream.
type Order struct {
	At       time.Time // when the order was placed (event time)
	Customer string
	Merchant string
	Cents    int64
}

// source is a replayable input, addressed by offset like a Kafka partition or
// a log file: the job can ask for the events from any offset again, which is
// what resuming after a crash needs. Here it is synthetic and deterministic:
// the same seed gives the same events in the same order.
type source struct {
	name   string // the stream's identity: its parameters
	orders []Order
}

// streamStart is the event time of the first order.
var streamStart = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// newSource returns n orders in arrival order: event times advance a quarter
// of a second per order, and each order arrives up to disorder late, except
// one in 200, which arrives up to two minutes late, often after its windows
// fired.
func newSource(n, customers, merchants int, disorder time.Duration, seed uint64) *source {
	rng := rand.New(rand.NewPCG(seed, 11))
	orders := make([]Order, n)
	arrival := make([]time.Duration, n)
	for i := range orders {
		at := streamStart.Add(time.Duration(i) * time.Second / 4)
		orders[i] = Order{
			At:       at,
			Customer: fmt.Sprintf("cust%05d", int(rng.ExpFloat64()*float64(customers)/5)%customers),
			Merchant: fmt.Sprintf("merchant%02d", rng.IntN(merchants)),
			Cents:    int64(99 + rng.IntN(20_000)),
		}
		delay := time.Duration(rng.Int64N(int64(disorder) + 1))
		if rng.IntN(200) == 0 { // a straggler: its windows may have fired
			delay = time.Duration(rng.Int64N(int64(2 * time.Minute)))
		}
		arrival[i] = at.Sub(streamStart) + delay
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(arrival[a], arrival[b]) })
	out := make([]Order, n)
	for i, j := range idx {
		out[i] = orders[j]
	}
	name := fmt.Sprintf("orders n=%d customers=%d merchants=%d disorder=%v seed=%d", n, customers, merchants, disorder, seed)
	return &source{name: name, orders: out}
}

// Len returns the number of events in the stream.
func (s *source) Len() int64 { return int64(len(s.orders)) }

// At returns the event at offset.
func (s *source) At(offset int64) Order { return s.orders[offset] }
