package bad

//statekit:aggregate
type Totals struct {
	User  string `statekit:"key" cbor:"u"`
	Units int    `statekit:"sum" cbor:"u"`
}
