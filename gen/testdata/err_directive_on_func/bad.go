package bad

//statekit:aggregate
func Totals() {}

var _ = Totals
