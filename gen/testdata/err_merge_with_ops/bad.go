package bad

//statekit:aggregate
type Totals struct {
	User string `statekit:"key"`
	N    int    `statekit:"sum"`
}

// Merge replaces the field ops.
func (t Totals) Merge(o Totals) Totals { t.N += o.N; return t }
