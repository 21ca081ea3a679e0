// Package names holds annotated types with names that stress stategen v2's
// naming: initialisms, blank-like and non-ASCII names, names of generic
// parameters, and windows of extreme sizes.
package names

//go:generate go run ../../../cmd/stategen -tests

import "time"

//statekit:aggregate
type URLCount struct {
	URL string `statekit:"key"`
	N   int64  `statekit:"count"`
}

//statekit:aggregate
type ID struct {
	ID []byte `statekit:"key"`
	N  int64  `statekit:"sum"`
}

//statekit:aggregate
type _x struct {
	A bool `statekit:"key"`
}

//statekit:aggregate
type ñandú struct {
	Ñ string `statekit:"key"`
	M uint8  `statekit:"max"`
}

//statekit:aggregate
type K struct {
	V int64 `statekit:"key"`
	K int64 `statekit:"key"`
}

//statekit:aggregate
type V struct {
	K time.Time `statekit:"key"`
	S string    `statekit:"key"`
}

//statekit:window size=2562047h
type Huge struct {
	Who string `statekit:"key"`
	N   int64  `statekit:"count"`
}

//statekit:window size=1ns
type Tiny struct {
	Who string `statekit:"key"`
	N   int64  `statekit:"count"`
}

//statekit:window size=90m slide=90s lateness=0s ttl=240h
type Odd struct {
	Who string `statekit:"key"`
	N   int64  `statekit:"count"`
}

//statekit:aggregate
type IDs struct {
	Mode    string `statekit:"key"`
	Tdecode int    `statekit:"sum"`
}
