package alias

import "time"

// Aliases name the types they stand for: a Stamp is a time.Time.
type (
	Stamp = time.Time
	Label string
	Tag   = Label
	Count = int64
)

//statekit:aggregate
type Seen struct {
	At    Stamp `statekit:"key"`
	Tag   Tag   `statekit:"key"`
	First Stamp `statekit:"min"`
	Last  Stamp `statekit:"max"`
	N     Count `statekit:"sum"`
}
