package bad

// Foo and foo both get fooCBOR, fooMerge, ...
//
//statekit:aggregate
type Foo struct {
	ID string `statekit:"key"`
}

//statekit:aggregate prefix=lowerfoo
type foo struct {
	ID string `statekit:"key"`
}
