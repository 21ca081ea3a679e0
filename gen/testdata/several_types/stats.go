package stats

import "time"

//statekit:aggregate
type Counter struct {
	Name  string `statekit:"key"`
	Count int64  `statekit:"count"`
}

//statekit:window size=1m
type Latency struct {
	Service string        `statekit:"key"`
	Max     time.Duration `statekit:"max"`
	Sum     time.Duration `statekit:"sum"`
}

// NotAStore has no directive: stategen leaves it alone.
type NotAStore struct{ X int }

//statekit:aggregate ttl=90s
type LastSeen struct {
	User string    `statekit:"key"`
	At   time.Time `statekit:"max"`
	From string    `statekit:"last"`
}
