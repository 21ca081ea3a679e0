package bad

import "time"

//statekit:aggregate
type Totals struct {
	User string    `statekit:"key"`
	At   time.Time `cbor:"at,omitempty"`
}
