package bad

// Merge exists only in the package's tests.
func (v Totals) Merge(o Totals) Totals { v.N += o.N; return v }

// Fixture makes stategen load the test files.
//
//statekit:aggregate
type Fixture struct {
	ID string `statekit:"key"`
}
