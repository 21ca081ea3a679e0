package bad

//statekit:aggregate
type in struct {
	ID string `statekit:"key"`
}

//statekit:aggregate
type v struct {
	ID string `statekit:"key"`
}

//statekit:window size=1m
type r struct {
	ID string `statekit:"key"`
}

// x is a field's type, and a local variable of the generated decoder.
type x int64

//statekit:aggregate
type Uses struct {
	ID string `statekit:"key"`
	N  x      `statekit:"sum"`
}

// ID is generic; the field below instantiates it with x.
type ID[T any] string

//statekit:aggregate
type Nested struct {
	K ID[map[string]x] `statekit:"key"`
}
