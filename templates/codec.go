package templates

import (
	"fmt"
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/statekit/statekit/gen"
	"github.com/statekit/statekit/runtime"
)

// renderCodec renders the CBOR codec of t: MarshalCBOR, AppendCBOR,
// UnmarshalCBOR, the decoding fast path, and the plain type that the reference
// modes encode by reflection.
func renderCodec(f *jen.File, t *gen.Type) {
	plain := lower(t) + "CBOR"
	f.Commentf("%s has %s's fields and tags but none of its methods: it is what", plain, t.Name)
	f.Comment("runtime.CBOREncMode and runtime.CBORDecMode encode and decode by reflection,")
	f.Comment("the reference the generated codec matches and the decoder's fallback.")
	f.Type().Id(plain).Id(t.Name)

	f.Comment("MarshalCBOR encodes v as runtime.CBOREncMode would: the same bytes, faster.")
	f.Func().Params(jen.Id("v").Id(t.Name)).Id("MarshalCBOR").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(jen.Id("v").Dot("AppendCBOR").Call(jen.Make(jen.Index().Byte(), jen.Lit(0), jen.Lit(estimate(t))))),
	)

	f.Comment("AppendCBOR appends the encoding of v to dst, without allocating when dst has")
	f.Comment("room (fields encoded through the fxamacker modes allocate).")
	f.Func().Params(jen.Id("v").Op("*").Id(t.Name)).Id("AppendCBOR").Params(jen.Id("dst").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).BlockFunc(func(g *jen.Group) {
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

	f.Comment("UnmarshalCBOR decodes data into v, replacing it entirely: fields data lacks")
	f.Comment("are zero, keys v lacks are skipped. It yields what runtime.CBORDecMode")
	f.Comment("yields: canonical input takes a fast path, anything else goes to CBORDecMode.")
	f.Comment("After an error, v holds what was decoded before it, as with CBORDecMode.")
	f.Func().Params(jen.Id("v").Op("*").Id(t.Name)).Id("UnmarshalCBOR").Params(jen.Id("data").Index().Byte()).Error().Block(
		jen.Op("*").Id("v").Op("=").Id(t.Name).Values(),
		jen.If(jen.Id(lower(t)+"DecodeCBOR").Call(jen.Id("v"), jen.Id("data"), jen.False())).Block(jen.Return(jen.Nil())),
		jen.Op("*").Id("v").Op("=").Id(t.Name).Values(),
		jen.Return(rt("CBORDecMode").Dot("Unmarshal").Call(jen.Id("data"), jen.Parens(jen.Op("*").Id(plain)).Parens(jen.Id("v")))),
	)

	renderDecode(f, t)
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
		head := runtime.AppendCBORMapHeader(nil, always)
		return jen.Id("dst").Op("=").Append(append([]jen.Code{jen.Id("dst")}, byteLits(head)...)...)
	}
	return jen.BlockFunc(func(g *jen.Group) {
		g.Id("n").Op(":=").Lit(always)
		for _, fl := range optional {
			g.If(nonEmpty(fl)).Block(jen.Id("n").Op("++"))
		}
		g.Id("dst").Op("=").Add(rt("AppendCBORMapHeader")).Call(jen.Id("dst"), jen.Id("n"))
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
		return []jen.Code{key, errCheck(jen.List(jen.Id("dst"), jen.Id("err")).Op("=").Add(rt("AppendCBORValue")).Call(dst, v), fl)}
	}
	switch fl.Kind {
	case gen.Bool:
		val = rt("AppendCBORBool").Call(dst, to(fl, v))
	case gen.Int:
		val = rt("AppendCBORInt").Call(dst, to(fl, v))
	case gen.Uint:
		val = rt("AppendCBORUint").Call(dst, to(fl, v))
	case gen.Float32, gen.Float64:
		val = rt("AppendCBORFloat64").Call(dst, to(fl, v))
	case gen.String:
		val = rt("AppendCBORString").Call(dst, to(fl, v))
	case gen.Bytes:
		val = rt("AppendCBORBytes").Call(dst, to(fl, v))
	case gen.Time:
		return []jen.Code{key, errCheck(jen.List(jen.Id("dst"), jen.Id("err")).Op("=").Add(rt("AppendCBORTime")).Call(dst, v), fl)}
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
	f.Commentf("%sDecodeCBOR is UnmarshalCBOR's fast path. It returns false, having", lower(t))
	f.Comment("decoded part of v, for any input it does not handle: the caller then decodes")
	f.Comment("with runtime.CBORDecMode, which has the last word, errors included. While")
	f.Comment("merging, it skips the key fields (the merge knows them) and, when fields merge")
	f.Comment("by their ops, the last fields (the merge overwrites them).")
	fail := jen.Return(jen.False())
	f.Func().Id(lower(t)+"DecodeCBOR").Params(jen.Id("v").Op("*").Id(t.Name), jen.Id("data").Index().Byte(), jen.Id("merging").Bool()).Bool().BlockFunc(func(g *jen.Group) {
		g.Id("r").Op(":=").Add(rt("NewCBORReader")).Call(jen.Id("data"))
		g.List(jen.Id("n"), jen.Id("ok")).Op(":=").Id("r").Dot("ReadMapHeader").Call()
		g.If(jen.Op("!").Id("ok")).Block(fail)
		if len(t.Codec) > 0 {
			g.Var().Id("seen").Index(jen.Lit(len(t.Codec))).Bool()
		}
		var textFields, intFields []int
		for i, fl := range t.Codec {
			if fl.CBOR.IsInt {
				intFields = append(intFields, i)
			} else {
				textFields = append(textFields, i)
			}
		}
		g.For(jen.Range().Id("n")).BlockFunc(func(g *jen.Group) {
			g.List(jen.Id("text"), jen.Id("num"), jen.Id("isText"), jen.Id("ok")).Op(":=").Id("r").Dot("ReadKey").Call()
			g.If(jen.Op("!").Id("ok")).Block(fail)
			if len(intFields) == 0 {
				g.Id("_").Op("=").Id("num")
				g.If(jen.Op("!").Id("isText")).Block(fail)
				g.Add(textSwitch(t, textFields, fail))
				return
			}
			g.If(jen.Op("!").Id("isText")).BlockFunc(func(g *jen.Group) {
				g.Switch(jen.Id("num")).BlockFunc(func(g *jen.Group) {
					for _, i := range intFields {
						g.Case(jen.Lit(int(t.Codec[i].CBOR.Int))).Block(decodeField(t, t.Codec[i], i, fail)...)
					}
					g.Default().Block(fail) // an unknown integer key: left to CBORDecMode
				})
				g.Continue()
			})
			g.Add(textSwitch(t, textFields, fail))
		})
		g.Return(jen.Id("r").Dot("Done").Call())
	})
}

func textSwitch(t *gen.Type, fields []int, fail jen.Code) jen.Code {
	return jen.Switch(jen.String().Parens(jen.Id("text"))).BlockFunc(func(g *jen.Group) {
		for _, i := range fields {
			g.Case(jen.Lit(t.Codec[i].CBOR.Name)).Block(decodeField(t, t.Codec[i], i, fail)...)
		}
		g.Default().Block(
			jen.If(jen.Op("!").Id("r").Dot("Skip").Call()).Block(fail),
		)
	})
}

// decodeField decodes one field's value; a field seen twice falls back.
func decodeField(t *gen.Type, fl *gen.Field, i int, fail jen.Code) []jen.Code {
	seen := jen.Id("seen").Index(jen.Lit(i))
	code := []jen.Code{
		jen.If(seen.Clone()).Block(fail),
		seen.Clone().Op("=").True(),
	}
	if fl.IsKey || t.Merge == gen.MergeFields && fl.Op == gen.Last {
		code = append(code, jen.If(jen.Id("merging")).Block(
			jen.If(jen.Op("!").Id("r").Dot("Skip").Call()).Block(fail),
			jen.Break(),
		))
	}
	v := jen.Id("v").Dot(fl.Name)
	if fl.CodecOther() {
		return append(code,
			jen.List(jen.Id("raw"), jen.Id("ok")).Op(":=").Id("r").Dot("ReadRaw").Call(),
			jen.If(jen.Op("!").Id("ok").Op("||").Add(rt("CBORDecMode")).Dot("Unmarshal").Call(jen.Id("raw"), jen.Op("&").Add(v)).Op("!=").Nil()).Block(fail),
		)
	}
	var read jen.Code
	switch fl.Kind {
	case gen.Bool:
		read = jen.Id("r").Dot("ReadBool").Call()
	case gen.Int:
		read = jen.Id("r").Dot("ReadInt").Call(bitsArg(fl))
	case gen.Uint:
		read = jen.Id("r").Dot("ReadUint").Call(bitsArg(fl))
	case gen.Float32:
		read = jen.Id("r").Dot("ReadFloat32").Call()
	case gen.Float64:
		read = jen.Id("r").Dot("ReadFloat64").Call()
	case gen.String:
		read = jen.Id("r").Dot("ReadString").Call()
	case gen.Bytes:
		read = jen.Id("r").Dot("ReadBytes").Call()
	case gen.Time:
		read = jen.Id("r").Dot("ReadTime").Call()
	}
	return append(code,
		jen.List(jen.Id("x"), jen.Id("ok")).Op(":=").Add(read),
		jen.If(jen.Op("!").Id("ok")).Block(fail),
		v.Op("=").Add(fromDecoded(fl, jen.Id("x"))),
	)
}

// fromDecoded converts a decoded value (the reader's type) to the field's type.
func fromDecoded(fl *gen.Field, x jen.Code) jen.Code {
	switch fl.Kind {
	case gen.Float32:
		if !fl.Named && fl.Type.String() == "float32" {
			return x
		}
		return jen.Add(typeCode(fl.Type)).Parens(x)
	case gen.Time:
		return x
	}
	return from(fl, x)
}
