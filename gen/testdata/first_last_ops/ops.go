package ops

import "time"

//statekit:window size=1h slide=15m
type Visit struct {
	Visitor   string    `statekit:"key"`
	FirstPage string    `statekit:"first"`
	LastPage  string    `statekit:"last"`
	Earliest  time.Time `statekit:"min"`
	Latest    time.Time `statekit:"max"`
	Pages     int       `statekit:"count"`
}
