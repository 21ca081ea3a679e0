package bad

// TotalsKey is stategen's name for Totals's key type: a clash.
type TotalsKey int

//statekit:aggregate
type Totals struct {
	User string `statekit:"key"`
}
