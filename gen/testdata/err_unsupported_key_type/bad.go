package bad

//statekit:aggregate
type Totals struct {
	Ratio float64           `statekit:"key"`
	Tags  map[string]string `statekit:"key"`
	N     int               `statekit:"sum"`
}
