package constrained

//statekit:aggregate
type LinuxAMD64 struct {
	K string `statekit:"key"`
}
