package templates

import (
	"go/types"

	"github.com/dave/jennifer/jen"

	"github.com/statekit/statekit/gen"
)

// typeCode renders the type of a field that has a kind (not gen.Other): a
// basic type, []byte, time.Time, or a named type with one of those underneath.
func typeCode(t types.Type) jen.Code {
	switch t := t.(type) {
	case *types.Named:
		obj := t.Obj()
		if obj.Pkg() == nil {
			return jen.Id(obj.Name())
		}
		return jen.Qual(obj.Pkg().Path(), obj.Name())
	case *types.Alias:
		return typeCode(types.Unalias(t))
	case *types.Basic:
		return jen.Id(t.Name())
	case *types.Slice:
		return jen.Index().Add(typeCode(t.Elem()))
	}
	return jen.Id(t.String())
}

// basicName is the Go type a kind's values are converted to and from.
func basicName(f *gen.Field) string {
	switch f.Kind {
	case gen.Bool:
		return "bool"
	case gen.Int:
		return "int64"
	case gen.Uint:
		return "uint64"
	case gen.Float32, gen.Float64:
		return "float64"
	case gen.String:
		return "string"
	case gen.Bytes:
		return "[]byte"
	}
	return ""
}

// to converts expr (the field's value) to the basic type of its kind, when it
// is not already of that type.
func to(f *gen.Field, expr jen.Code) jen.Code {
	name := basicName(f)
	if !f.Named && types.Unalias(f.Type).String() == name {
		return expr
	}
	if name == "[]byte" {
		return jen.Index().Byte().Parens(expr)
	}
	return jen.Id(name).Parens(expr)
}

// from converts expr (of the kind's basic type) to the field's type, when the
// two differ.
func from(f *gen.Field, expr jen.Code) jen.Code {
	if !f.Named && types.Unalias(f.Type).String() == basicName(f) {
		return expr
	}
	return jen.Add(typeCode(f.Type)).Parens(expr)
}

// bitsArg is the bits argument of the key and CBOR integer readers: the size,
// or strconv.IntSize for int, uint and uintptr.
func bitsArg(f *gen.Field) jen.Code {
	if f.Bits == 0 {
		return jen.Qual("strconv", "IntSize")
	}
	return jen.Lit(f.Bits)
}
