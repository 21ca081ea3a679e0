package generic

import "time"

// ID and Num are generic named types; fields use them instantiated.
type ID[T any] string

type Num[T any] int64

type Opt[T any] struct {
	Set bool
	V   T
}

//statekit:aggregate
type Usage struct {
	Tenant ID[int]                         `statekit:"key"`
	Region ID[map[string][]*time.Duration] `statekit:"key"`
	Calls  Num[func(int, ...string) error] `statekit:"sum"`
	Peak   Num[struct {
		A int "json:\"a\""
	}] `statekit:"max"`
	Note Opt[time.Time]
	Tags Num[interface{ M() chan<- int }]
}
