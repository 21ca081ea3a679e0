package bad

//statekit:aggregate
type Totals struct {
	User string `statekit:"key"`
	N    int
}

// Merge has the wrong signature for stategen.
func (t *Totals) Merge(n int) { t.N += n }
