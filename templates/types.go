package templates

import (
	"go/types"
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/statekit/statekit/gen"
)

// typeCode renders a field's type as Go source: a named type with its type
// arguments (ID[int]), and whatever types those are.
func typeCode(t types.Type) jen.Code {
	switch t := t.(type) {
	case *types.Named:
		obj := t.Obj()
		var name *jen.Statement
		if obj.Pkg() == nil {
			name = jen.Id(obj.Name()) // error
		} else {
			name = jen.Qual(obj.Pkg().Path(), obj.Name())
		}
		if t.TypeArgs().Len() == 0 {
			return name
		}
		var args []jen.Code
		for a := range t.TypeArgs().Types() {
			args = append(args, typeCode(a))
		}
		return name.Types(args...)
	case *types.Alias:
		return typeCode(types.Unalias(t))
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			return jen.Qual("unsafe", "Pointer")
		}
		return jen.Id(t.Name())
	case *types.Pointer:
		return jen.Op("*").Add(typeCode(t.Elem()))
	case *types.Slice:
		return jen.Index().Add(typeCode(t.Elem()))
	case *types.Array:
		return jen.Index(jen.Lit(int(t.Len()))).Add(typeCode(t.Elem()))
	case *types.Map:
		return jen.Map(typeCode(t.Key())).Add(typeCode(t.Elem()))
	case *types.Chan:
		switch t.Dir() {
		case types.SendOnly:
			return jen.Chan().Op("<-").Add(typeCode(t.Elem()))
		case types.RecvOnly:
			return jen.Op("<-").Chan().Add(typeCode(t.Elem()))
		}
		return jen.Chan().Add(typeCode(t.Elem()))
	case *types.Signature:
		return jen.Func().Add(signature(t))
	case *types.Struct:
		return jen.StructFunc(func(g *jen.Group) {
			for i := range t.NumFields() {
				f := t.Field(i)
				var field *jen.Statement
				if f.Embedded() {
					field = jen.Add(typeCode(f.Type()))
				} else {
					field = jen.Id(f.Name()).Add(typeCode(f.Type()))
				}
				if tag := t.Tag(i); tag != "" {
					field.Op(strconv.Quote(tag))
				}
				g.Add(field)
			}
		})
	case *types.Interface:
		if t.Empty() {
			return jen.Any()
		}
		return jen.InterfaceFunc(func(g *jen.Group) {
			for i := range t.NumEmbeddeds() {
				g.Add(typeCode(t.EmbeddedType(i)))
			}
			for i := range t.NumExplicitMethods() {
				m := t.ExplicitMethod(i)
				g.Id(m.Name()).Add(signature(m.Type().(*types.Signature)))
			}
		})
	}
	return jen.Id(t.String())
}

// signature renders a func type's parameters and results.
func signature(sig *types.Signature) jen.Code {
	params := func(tup *types.Tuple, variadic bool) []jen.Code {
		var out []jen.Code
		for i := range tup.Len() {
			if variadic && i == tup.Len()-1 {
				out = append(out, jen.Op("...").Add(typeCode(tup.At(i).Type().(*types.Slice).Elem())))
				continue
			}
			out = append(out, typeCode(tup.At(i).Type()))
		}
		return out
	}
	return jen.Params(params(sig.Params(), sig.Variadic())...).Params(params(sig.Results(), false)...)
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
	if f.Kind == gen.Time {
		return expr // time.Time, or an alias of it: what the readers return
	}
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
