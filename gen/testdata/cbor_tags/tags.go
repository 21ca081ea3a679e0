package tags

//statekit:aggregate
type Compact struct {
	Key    string  `statekit:"key" cbor:"1,keyasint"`
	Total  int64   `statekit:"sum" cbor:"2,keyasint"`
	Peak   float64 `statekit:"max" cbor:"-1,keyasint"`
	Note   string  `cbor:"n,omitempty"`
	Hidden string  `cbor:"-"`
	Label  string  `json:"label,omitempty"` // no cbor tag: fxamacker reads the json tag
	Flag   bool    `cbor:",omitempty"`
}
