package templates

import (
	"fmt"
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/statekit/statekit/gen"
	"github.com/statekit/statekit/runtime/stateimpl"
)

// renderCodec renders the CBOR codec of t: MarshalCBOR, AppendCBOR,
// UnmarshalCBOR, the decoding fast path, the plain type that the reference
// modes encode by reflection, and the store's decoding of a stored value.
func renderCodec(f *jen.File, t *gen.Type) {
	plain := lower(t) + "CBOR"
	comment(f, "%s is %s without its methods: what the reference modes encode by reflection.", plain, t.Name)
	f.Type().Id(plain).Id(t.Name)

	comment(f, "MarshalCBOR encodes v as runtime.CBOREncMode would: the same bytes, faster.")
	f.Func().Params(jen.Id("v").Id(t.Name)).Id("MarshalCBOR").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(jen.Id("v").Dot("AppendCBOR").Call(jen.Make(jen.Index().Byte(), jen.Lit(0), jen.Lit(estimate(t))))),
	)

	comment(f, "AppendCBOR appends the encoding of v to dst, without allocating when dst has room%s.",
		map[bool]string{true: " (fields encoded through the fxamacker modes allocate)", false: ""}[hasOther(t)])
	f.Func().Params(jen.Id("v").Id(t.Name)).Id("AppendCBOR").Params(jen.Id("dst").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).BlockFunc(func(g *jen.Group) {
		needErr := false
		for _, fl := range t.Codec {
			needErr = needErr || fl.CodecOther() || fl.Kind == gen.Time
		}
		if needErr {
			g.Var().Id("err").Error()
		}
		g.Add(mapHeader(t))
		for _, fl := range t.Codec {
			enc := encodeField(fl)
			if fl.OmitEmpty {
				g.If(nonEmpty(fl)).Block(enc...)
				continue
			}
			for _, c := range enc {
				g.Add(c)
			}
		}
		g.Return(jen.Id("dst"), jen.Nil())
	})

	comment(f, "UnmarshalCBOR replaces v with what runtime.CBORDecMode decodes from data, errors included, faster.")
	f.Func().Params(jen.Id("v").Op("*").Id(t.Name)).Id("UnmarshalCBOR").Params(jen.Id("data").Index().Byte()).Error().Block(
		jen.Op("*").Id("v").Op("=").Id(t.Name).Values(),
		jen.If(jen.Id(lower(t)+"DecodeCBOR").Call(jen.Id("v"), jen.Id("data"), impl("DecodeAll"))).Block(jen.Return(jen.Nil())),
		jen.Id("x").Op(":=").New(jen.Id(plain)),
		jen.Id("err").Op(":=").Add(rt("CBORDecMode")).Dot("Unmarshal").Call(jen.Id("data"), jen.Id("x")),
		jen.Op("*").Id("v").Op("=").Id(t.Name).Parens(jen.Op("*").Id("x")),
		jen.Return(jen.Id("err")),
	)

	renderDecode(f, t)

	comment(f, "%sDecode decodes a stored %s without its key fields, which the store sets from the key.", lower(t), t.Name)
	f.Func().Id(lower(t)+"Decode").Params(jen.Id("data").Index().Byte()).Params(jen.Id("v").Id(t.Name), jen.Id("err").Error()).Block(
		jen.If(jen.Op("!").Id(lower(t)+"DecodeCBOR").Call(jen.Op("&").Id("v"), jen.Id("data"), impl("SkipKeys"))).Block(
			jen.Id("err").Op("=").Id("v").Dot("UnmarshalCBOR").Call(jen.Id("data")),
		),
		jen.Return(jen.Id("v"), jen.Id("err")),
	)

	comment(f, "%sWithKey returns v with the key fields of k.", lower(t))
	f.Func().Id(lower(t)+"WithKey").Params(jen.Id("v").Id(t.Name), jen.Id("k").Id(t.Name+"Key")).Id(t.Name).BlockFunc(func(g *jen.Group) {
		for _, k := range t.Keys {
			g.Id("v").Dot(k.Name).Op("=").Id("k").Dot(k.Name)
		}
		g.Return(jen.Id("v"))
	})
}

// hasOther reports whether t has a field encoded through the fxamacker modes.
func hasOther(t *gen.Type) bool { return countOther(t) > 0 }

// countOther is how many fields of t are encoded through the fxamacker modes.
func countOther(t *gen.Type) int {
	n := 0
	for _, fl := range t.Codec {
		if fl.CodecOther() {
			n++
		}
	}
	return n
}

// estimate is a first guess at an encoding's size, to size MarshalCBOR's buffer.
func estimate(t *gen.Type) int {
	n := 1
	for _, fl := range t.Codec {
		n += len(fl.CBOR.Encoded) + 9
		if fl.Kind == gen.String || fl.Kind == gen.Bytes || fl.Kind == gen.Time || fl.CodecOther() {
			n += 16
		}
	}
	return (n + 15) &^ 15
}

// mapHeader appends the map's head: a constant when every field is always
// written, else counted.
func mapHeader(t *gen.Type) jen.Code {
	always := 0
	var optional []*gen.Field
	for _, fl := range t.Codec {
		if fl.OmitEmpty {
			optional = append(optional, fl)
		} else {
			always++
		}
	}
	if len(optional) == 0 {
		head := stateimpl.AppendCBORMapHeader(nil, always)
		return jen.Id("dst").Op("=").Append(append([]jen.Code{jen.Id("dst")}, byteLits(head)...)...)
	}
	return jen.BlockFunc(func(g *jen.Group) {
		g.Id("n").Op(":=").Lit(always)
		for _, fl := range optional {
			g.If(nonEmpty(fl)).Block(jen.Id("n").Op("++"))
		}
		g.Id("dst").Op("=").Add(impl("AppendCBORMapHeader")).Call(jen.Id("dst"), jen.Id("n"))
	})
}

func byteLits(b []byte) []jen.Code {
	out := make([]jen.Code, len(b))
	for i, c := range b {
		out[i] = jen.Lit(int(c))
	}
	return out
}

// nonEmpty is fxamacker's omitempty test for the basic kinds.
func nonEmpty(fl *gen.Field) jen.Code {
	v := jen.Id("v").Dot(fl.Name)
	switch fl.Kind {
	case gen.Bool:
		return v
	case gen.String, gen.Bytes:
		return jen.Len(v).Op("!=").Lit(0)
	}
	return v.Op("!=").Lit(0)
}

// encodeField appends one field: its key, then its value.
func encodeField(fl *gen.Field) []jen.Code {
	key := jen.Id("dst").Op("=").Append(jen.Id("dst"), jen.Lit(string(fl.CBOR.Encoded)).Op("...")).Comment(strconv.Quote(fl.CBOR.Name))
	v := jen.Id("v").Dot(fl.Name)
	dst := jen.Id("dst")
	var val jen.Code
	if fl.CodecOther() {
		return []jen.Code{key, errCheck(jen.List(jen.Id("dst"), jen.Id("err")).Op("=").Add(impl("AppendCBORValue")).Call(dst, v), fl)}
	}
	switch fl.Kind {
	case gen.Bool:
		val = impl("AppendCBORBool").Call(dst, to(fl, v))
	case gen.Int:
		val = impl("AppendCBORInt").Call(dst, to(fl, v))
	case gen.Uint:
		val = impl("AppendCBORUint").Call(dst, to(fl, v))
	case gen.Float32, gen.Float64:
		val = impl("AppendCBORFloat64").Call(dst, to(fl, v))
	case gen.String:
		val = impl("AppendCBORString").Call(dst, to(fl, v))
	case gen.Bytes:
		val = impl("AppendCBORBytes").Call(dst, to(fl, v))
	case gen.Time:
		return []jen.Code{key, errCheck(jen.List(jen.Id("dst"), jen.Id("err")).Op("=").Add(impl("AppendCBORTime")).Call(dst, v), fl)}
	}
	return []jen.Code{key, jen.Id("dst").Op("=").Add(val)}
}

func errCheck(assign *jen.Statement, fl *gen.Field) jen.Code {
	return jen.If(assign, jen.Id("err").Op("!=").Nil()).Block(
		jen.Return(jen.Id("dst"), jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("encoding field %s: %%w", fl.Name)), jen.Id("err"))),
	)
}

// renderDecode renders the decoding fast path: true if it decoded data into
// v, false to fall back to runtime.CBORDecMode.
func renderDecode(f *jen.File, t *gen.Type) {
	comment(f, "%sDecodeCBOR is UnmarshalCBOR's fast path, skipping the fields mode says: false for "+
		"input it leaves to runtime.CBORDecMode.", lower(t))
	fail := jen.Return(jen.False())
	f.Func().Id(lower(t)+"DecodeCBOR").Params(jen.Id("v").Op("*").Id(t.Name), jen.Id("data").Index().Byte(), jen.Id("mode").Add(impl("DecodeMode"))).Bool().BlockFunc(func(g *jen.Group) {
		g.Id("r").Op(":=").Add(impl("NewCBORReader")).Call(jen.Id("data"))
		if extra := len(t.Codec) - 256; extra > 0 {
			// The reader tracks 256 fields itself; room for the rest, on the stack.
			g.Id("r").Dot("Track").Call(jen.Make(jen.Index().Uint64(), jen.Lit((extra+63)/64)))
		}
		g.List(jen.Id("n"), jen.Id("ok")).Op(":=").Id("r").Dot("ReadMapHeader").Call()
		g.If(jen.Op("!").Id("ok")).Block(fail)
		var textFields, intFields []int
		for i, fl := range t.Codec {
			if fl.CBOR.IsInt {
				intFields = append(intFields, i)
			} else {
				textFields = append(textFields, i)
			}
		}
		g.For(jen.Range().Id("n")).BlockFunc(func(g *jen.Group) {
			if len(intFields) == 0 {
				g.List(jen.Id("text"), jen.Id("ok")).Op(":=").Id("r").Dot("ReadTextKey").Call()
				g.If(jen.Id("ok")).Block(textSwitch(t, textFields))
			} else {
				g.List(jen.Id("text"), jen.Id("num"), jen.Id("isText"), jen.Id("ok")).Op(":=").Id("r").Dot("ReadKey").Call()
				g.Switch().Block(
					jen.Case(jen.Op("!").Id("ok")).Block(fail),
					jen.Case(jen.Op("!").Id("isText")).Block(
						jen.Switch(jen.Id("num")).BlockFunc(func(g *jen.Group) {
							for _, i := range intFields {
								g.Case(jen.Lit(int(t.Codec[i].CBOR.Int))).Block(decodeField(t, t.Codec[i], i))
							}
							g.Default().Block(jen.Id("ok").Op("=").False()) // an unknown integer key: left to CBORDecMode
						}),
					),
					jen.Default().Block(textSwitch(t, textFields)),
				)
			}
			g.If(jen.Op("!").Id("ok")).Block(fail)
		})
		g.Return(jen.Id("r").Dot("Done").Call())
	})
}

func textSwitch(t *gen.Type, fields []int) jen.Code {
	return jen.Switch(jen.String().Parens(jen.Id("text"))).BlockFunc(func(g *jen.Group) {
		for _, i := range fields {
			g.Case(jen.Lit(t.Codec[i].CBOR.Name)).Block(decodeField(t, t.Codec[i], i))
		}
		g.Default().Block(jen.Id("ok").Op("=").Id("r").Dot("Skip").Call())
	})
}

// decodeField decodes field number i: ok is false for a field seen twice or
// a value the fast path does not take.
func decodeField(t *gen.Type, fl *gen.Field, i int) jen.Code {
	r, p := jen.Op("&").Id("r"), jen.Op("&").Id("v").Dot(fl.Name)
	var skip jen.Code = jen.False()
	switch {
	case fl.IsKey:
		skip = jen.Id("mode").Op("&").Add(impl("SkipKeys")).Op("!=").Lit(0)
	case t.Merge == gen.MergeFields && fl.Op == gen.Last:
		skip = jen.Id("mode").Op("&").Add(impl("SkipLast")).Op("!=").Lit(0)
	}
	var read jen.Code
	switch {
	case fl.CodecOther() && countOther(t) == 1:
		read = impl("ReadValueCopy").Call(r, p, skip)
	case fl.CodecOther():
		read = impl("ReadValue").Call(r, p, skip)
	case fl.Kind == gen.Bool:
		read = impl("ReadBool").Call(r, p)
	case fl.Kind == gen.Int:
		read = impl("ReadInt").Call(r, p)
	case fl.Kind == gen.Uint:
		read = impl("ReadUint").Call(r, p)
	case fl.Kind == gen.Float32, fl.Kind == gen.Float64:
		read = impl("ReadFloat").Call(r, p)
	case fl.Kind == gen.String:
		read = impl("ReadString").Call(r, p, skip)
	case fl.Kind == gen.Bytes:
		read = impl("ReadBytes").Call(r, p, skip)
	case fl.Kind == gen.Time:
		read = impl("ReadTime").Call(r, p)
	}
	return jen.Id("ok").Op("=").Id("r").Dot("Once").Call(jen.Lit(i)).Op("&&").Add(read)
}
