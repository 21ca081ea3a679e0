package keys

import "time"

// Region is a named string key.
type Region string

//statekit:aggregate
type Reading struct {
	Region Region    `statekit:"key"`
	Device []byte    `statekit:"key"`
	Sensor int16     `statekit:"key"`
	Slot   uint32    `statekit:"key"`
	Live   bool      `statekit:"key"`
	Day    time.Time `statekit:"key"`
	Value  float64   `statekit:"sum"`
}
