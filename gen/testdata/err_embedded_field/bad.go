package bad

// Base is embedded below.
type Base struct{ ID string }

//statekit:aggregate
type Totals struct {
	Base
	User string `statekit:"key"`
}
