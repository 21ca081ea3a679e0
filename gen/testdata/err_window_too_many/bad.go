package bad

// One Add would write 86,400,000,000,000 windows.
//
//statekit:window size=24h slide=1ns
type Day struct {
	User string `statekit:"key"`
}

// 1001 windows per event: size/slide rounded up.
//
//statekit:window size=1000001ms slide=1s prefix=Over
type Over struct {
	User string `statekit:"key"`
}

// Exactly 1000: allowed.
//
//statekit:window size=1000s slide=1s prefix=Max
type Max struct {
	User string `statekit:"key"`
}
