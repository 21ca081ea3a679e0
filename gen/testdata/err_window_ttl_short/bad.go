package bad

// Clicks would lose state: it expires a minute after the last event, but the
// window fires 65 seconds after it starts.
//
//statekit:window size=1m lateness=5s ttl=1m
type Clicks struct {
	User string `statekit:"key"`
	N    int64  `statekit:"count"`
}

// Refused too: state written at the window's start would expire at the very
// instant the window fires.
//
//statekit:window size=1m lateness=5s ttl=65s prefix=Exact
type Exact struct {
	User string `statekit:"key"`
	N    int64  `statekit:"count"`
}

// Fine: the ttl is longer than size + lateness.
//
//statekit:window size=1m lateness=5s ttl=66s prefix=Longer
type Longer struct {
	User string `statekit:"key"`
	N    int64  `statekit:"count"`
}

// A lateness so large that size + lateness is almost the largest duration.
//
//statekit:window size=1m lateness=2562047h ttl=24h prefix=Huge
type Huge struct {
	User string `statekit:"key"`
}
