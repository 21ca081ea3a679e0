// Package gen turns a Go package with //statekit: directives into a Model: it
// loads the package with its types (golang.org/x/tools/go/packages), finds the
// directives on type declarations, parses their options and the fields'
// statekit and cbor tags, validates everything, and reports every problem with
// its position. It writes nothing; package templates renders the Model.
package gen

import (
	"go/token"
	"go/types"
	"time"
)

// Model is everything stategen generates from one package.
type Model struct {
	PkgName string
	PkgPath string
	Types   []*Type // in source order

	// Names holds the package-level names the user's files declare, test
	// files of the package included: the generated files' imports take other
	// names, so that they cannot clash.
	Names map[string]bool
	// Annotated maps the base name of every file of the package that holds
	// an annotated type to the names of those types, whether this run
	// generates them or not (-type).
	Annotated map[string][]string
	// Unloaded holds the base names of the package's files that this load
	// did not read, as their build constraints exclude them: what stategen
	// wrote for them is not stale, whatever Annotated says.
	Unloaded map[string]bool
	// Generated maps the base name of every file stategen wrote before (known
	// by GeneratedHeader) to the source files it was generated from, or to
	// nil when that is unknown.
	Generated map[string][]string
}

// Kind is the kind of store a directive asks for.
type Kind int

// The store kinds.
const (
	Aggregate Kind = iota + 1 // //statekit:aggregate
	Window                    // //statekit:window
)

// String returns "aggregate" or "window", as in the directive.
func (k Kind) String() string {
	if k == Window {
		return "window"
	}
	return "aggregate"
}

// MergeKind says how two values of a type merge.
type MergeKind int

// The ways to merge.
const (
	MergeFields  MergeKind = iota // field by field, by their ops
	MergeValue                    // the type's method Merge(other T) T
	MergePointer                  // the type's method Merge(other *T)
)

// Type is one annotated struct type.
type Type struct {
	Name string
	Kind Kind
	File string         // base name of the file that declares it
	Pos  token.Position // of the type name
	// Test reports whether the type is declared in a _test.go file: its code
	// goes into a test file too.
	Test bool
	// Build is its file's //go:build line, or "": its code is built under
	// the same constraint.
	Build string

	Prefix   string        // the name part of its key prefixes (default: Name)
	TTL      time.Duration // 0: the backend's default
	Size     time.Duration // windows only
	Slide    time.Duration // windows only; == Size for tumbling windows
	Lateness time.Duration // windows only

	Fields []*Field // every field, in declaration order
	Keys   []*Field // the key fields, in declaration order
	Merge  MergeKind
	Codec  []*Field // the fields CBOR encodes, sorted by their encoded key
	// HasIntKeys reports whether some codec field has an integer key (keyasint).
	HasIntKeys bool
}

// FieldKind classifies a field's type for keys and codecs.
type FieldKind int

// The field kinds. Other fields are encoded by the fxamacker CBOR modes.
const (
	Other FieldKind = iota
	Bool
	Int
	Uint
	Float32
	Float64
	String
	Bytes
	Time
)

var kindNames = [...]string{"other", "bool", "int", "uint", "float32", "float64", "string", "[]byte", "time.Time"}

// String names the kind as a Go type.
func (k FieldKind) String() string { return kindNames[k] }

// Op is a field's merge operation.
type Op int

// The merge operations. Last is the default.
const (
	Last Op = iota
	First
	Sum
	Min
	Max
	Count
)

var opNames = map[string]Op{"last": Last, "first": First, "sum": Sum, "min": Min, "max": Max, "count": Count}

var opStrings = [...]string{Last: "last", First: "first", Sum: "sum", Min: "min", Max: "max", Count: "count"}

// String returns the op as written in a statekit tag.
func (o Op) String() string { return opStrings[o] }

// Field is one field of an annotated type.
type Field struct {
	Name     string
	Pos      token.Position
	Type     types.Type
	Kind     FieldKind
	Bits     int  // Int and Uint: 8, 16, 32 or 64; 0 for int, uint and uintptr (platform size)
	Named    bool // the type is a named type (needs a conversion to and from its kind)
	Exported bool
	IsKey    bool
	// NotStored reports a field that is not stored, on purpose: unexported
	// and tagged `statekit:"-"`, or tagged `cbor:"-"`. The codec skips it, so
	// values read from a store have it zero.
	NotStored bool
	Op        Op
	// CBOR is the field's key in the encoding, or nil when CBOR skips the
	// field (unexported, or tagged "-").
	CBOR      *CBORKey
	OmitEmpty bool

	codecOther bool // CBOR goes through fxamacker: a kind it does not handle, or the type's own CBOR or binary methods
	explicitOp bool // Op comes from a tag, not the default
}

// CodecOther reports whether the field's CBOR is encoded by the fxamacker
// modes rather than by the generated code.
func (f *Field) CodecOther() bool { return f.codecOther }

// CBORKey is a field's key in the CBOR map.
type CBORKey struct {
	Name    string // the text key, or the integer's decimal form
	IsInt   bool   // keyasint
	Int     int64
	Encoded []byte // the key's CBOR encoding
}
