// Package codec holds annotated types that stress the generated decoders of
// stategen v2: keyasint fields, omitempty, named and alias field types,
// float32, times, []byte keys, fields decoded by reflection, key-only and
// wide types.
package codec

//go:generate go run ../../../cmd/stategen -tests

import "time"

// Celsius is a named float32.
type Celsius float32

// Tag is a named string.
type Tag string

// Blob is a named []byte.
type Blob []byte

// Labels is an alias of a map, decoded by reflection.
type Labels = map[string]string

// Mixed has int keys and text keys, omitempty, named types and several
// fields decoded by reflection.
//
//statekit:aggregate
type Mixed struct {
	Tenant Tag       `statekit:"key" cbor:"1,keyasint"`
	Raw    Blob      `statekit:"key" cbor:"2,keyasint"`
	At     time.Time `statekit:"key"`
	Temp   Celsius   `statekit:"max" cbor:"3,keyasint,omitempty"`
	Small  float32   `statekit:"sum" cbor:"s,omitempty"`
	N      int8      `statekit:"sum"`
	U      uint16    `statekit:"count" cbor:"-5,keyasint"`
	Flag   bool      `cbor:"f,omitempty"`
	Seen   time.Time `statekit:"min"`
	Extra  Labels    `statekit:"first"`
	Parts  []int     `statekit:"last"`
	Note   string    `statekit:"last" cbor:"n,omitempty"`
}

// OneOther has a single field decoded by reflection (ReadValueCopy), as a
// key-independent last field.
//
//statekit:aggregate
type OneOther struct {
	ID    []byte         `statekit:"key"`
	Where map[string]int `statekit:"last"`
	Count int64          `statekit:"count"`
}

// KeysOnly has nothing but keys, all of one kind.
//
//statekit:aggregate
type KeysOnly struct {
	A string `statekit:"key"`
	B string `statekit:"key"`
}
