package clicks

//statekit:window size=1m slide=10s lateness=5s ttl=1h
type ClickWindow struct {
	UserID string `statekit:"key"`
	Clicks int64  `statekit:"count"`
	Bytes  int64  `statekit:"sum"`
}
