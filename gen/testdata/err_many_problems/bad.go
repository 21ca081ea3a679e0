package bad

//statekit:window size=soon slid=10s
type Clicks struct {
	User  float32 `statekit:"key"`
	Count string  `statekit:"count"`
}
