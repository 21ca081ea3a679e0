package shadow

import tm "time"

// Every package the generated files import has its name taken here: the
// imports must take others.
var (
	runtime, runtime1 = 1, 2
	iter              = "iter"
	fmt               = 3
	strconv           = 4
	time              = tm.Second
	bytes, math, rand = 5, 6, 7
	reflect, quick    = 8, 9
	stateimpl         = "stateimpl"
)

type context struct{}

//statekit:aggregate
type Visits struct {
	Page  string  `statekit:"key"`
	Day   tm.Time `statekit:"key"`
	Count int     `statekit:"count"`
	Last  tm.Time `statekit:"max"`
}

//statekit:window size=1m
type Hits struct {
	Page string `statekit:"key"`
	N    int64  `statekit:"sum"`
}
