package bad

//statekit:aggregate
type Totals struct {
	ID    string `statekit:"key"`
	Draft string `json:"-"` // CBOR follows json:"-" without a cbor tag: not stored
	Count int64  `statekit:"count" json:"-"`
}
