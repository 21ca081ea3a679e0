package bad

// bool hides the predeclared bool that generated code uses.
type bool int

func len(s string) int { return 0 }

//statekit:aggregate
type Totals struct {
	ID string `statekit:"key"`
	N  int64  `statekit:"sum"`
}
