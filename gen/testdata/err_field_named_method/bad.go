package bad

//statekit:aggregate
type Fields struct {
	ID            string `statekit:"key"`
	AppendKey     string `statekit:"key"`
	DecodeKey     int64  `statekit:"key"`
	StateKey      string
	MarshalCBOR   []byte
	AppendCBOR    int64 `statekit:"sum"`
	UnmarshalCBOR bool
}
