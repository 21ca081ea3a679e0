package hidden

//statekit:aggregate
type Account struct {
	ID      string `statekit:"key"`
	Balance int64  `statekit:"sum"`
	cache   string // unexported: not stored, not merged
}
