package fields

import (
	"net/netip"
	"time"
)

// Label is a named string: it encodes as one.
type Label string

// Level is a named integer.
type Level int16

//statekit:aggregate
type Everything struct {
	ID     string `statekit:"key"`
	Flag   bool
	I      int   `statekit:"sum"`
	I8     int8  `statekit:"max"`
	I16    int16 `statekit:"min"`
	I32    int32
	I64    int64 `statekit:"count"`
	U      uint  `statekit:"sum"`
	U8     uint8
	U16    uint16
	U32    uint32  `statekit:"max"`
	U64    uint64  `statekit:"count"`
	F32    float32 `statekit:"sum"`
	F64    float64 `statekit:"min"`
	Text   string
	Raw    []byte
	When   time.Time `statekit:"max"`
	Name   Label
	Lvl    Level              `statekit:"sum"`
	Tags   []string           // encoded by the fxamacker modes
	Counts map[string]int64   `statekit:"first"`
	Nested struct{ A, B int } // a struct
	Ptr    *int64
	Addr   netip.Addr // has its own binary marshalling
}
