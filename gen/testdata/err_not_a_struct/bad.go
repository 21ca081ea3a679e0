package bad

//statekit:aggregate
type Count int
