package hidden

//statekit:aggregate
type Account struct {
	ID      string    `statekit:"key"`
	Balance int64     `statekit:"sum"`
	cache   string    `statekit:"-"` // not stored, not merged: documented on AccountStore
	_       [0]func() // blank: holds nothing, needs no tag
}

//statekit:window size=1m
type Session struct {
	user  string   `statekit:"key"` // an unexported key field is stored, in the key
	Hits  int64    `statekit:"count"`
	seen  bool     `statekit:"-"`
	notes []string `statekit:"-"`
}
