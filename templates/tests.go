package templates

import (
	"go/types"
	"math"

	"github.com/dave/jennifer/jen"

	"github.com/statekit/statekit/gen"
)

// renderTestFile renders, for each type, the codec's tests: random values
// encoded by the generated code and by reflection must be byte-identical and
// decode to the same values; a fuzz target holds the two decoders to the same
// results on any input; benchmarks compare them.
func renderTestFile(f *jen.File, ts []*gen.Type) {
	h := helpers{prefix: lower(ts[0])} // one file's helpers: named after its first type
	for _, t := range ts {
		renderRandom(f, t, h)
		renderInteropTest(f, t, h)
		renderFuzz(f, t, h)
		renderBench(f, t)
	}
	f.Commentf("%s returns nil, an empty slice, or up to 20 random bytes (not", h.randomBytes())
	f.Comment("always valid UTF-8, which a Go string may hold).")
	f.Func().Id(h.randomBytes()).Params(jen.Id("rng").Op("*").Qual("math/rand", "Rand")).Index().Byte().Block(
		jen.Switch(jen.Id("rng").Dot("Intn").Call(jen.Lit(8))).Block(
			jen.Case(jen.Lit(0)).Block(jen.Return(jen.Nil())),
			jen.Case(jen.Lit(1)).Block(jen.Return(jen.Index().Byte().Values())),
		),
		jen.Id("b").Op(":=").Make(jen.Index().Byte(), jen.Id("rng").Dot("Intn").Call(jen.Lit(21))),
		jen.Id("rng").Dot("Read").Call(jen.Id("b")),
		jen.Return(jen.Id("b")),
	)
	f.Commentf("%s reports whether a and b encode alike under runtime.CBOREncMode: the", h.sameCBOR())
	f.Comment("values are equal as the codec sees them (NaN equal to NaN, nil and empty")
	f.Comment("slices apart). Values the mode cannot encode (a time past the year 9999,")
	f.Comment("which a CBOR integer decodes to) are compared by reflect.DeepEqual.")
	f.Func().Id(h.sameCBOR()).Params(jen.List(jen.Id("a"), jen.Id("b")).Any()).Bool().Block(
		jen.List(jen.Id("x"), jen.Id("err1")).Op(":=").Add(rt("CBOREncMode")).Dot("Marshal").Call(jen.Id("a")),
		jen.List(jen.Id("y"), jen.Id("err2")).Op(":=").Add(rt("CBOREncMode")).Dot("Marshal").Call(jen.Id("b")),
		jen.If(jen.Id("err1").Op("!=").Nil().Op("||").Id("err2").Op("!=").Nil()).Block(
			jen.Return(jen.Id("err1").Op("!=").Nil().Op("&&").Id("err2").Op("!=").Nil().Op("&&").Qual("reflect", "DeepEqual").Call(jen.Id("a"), jen.Id("b"))),
		),
		jen.Return(jen.Qual("bytes", "Equal").Call(jen.Id("x"), jen.Id("y"))),
	)
}

// helpers names the helper functions of one generated test file.
type helpers struct{ prefix string }

func (h helpers) randomBytes() string { return h.prefix + "RandomBytes" }
func (h helpers) sameCBOR() string    { return h.prefix + "SameCBOR" }

// renderRandom renders tRandom: values that reach the codec's edges.
func renderRandom(f *jen.File, t *gen.Type, h helpers) {
	r := jen.Id("rng")
	f.Commentf("%sRandom returns a random %s that reaches the codec's edges.", lower(t), t.Name)
	f.Func().Id(lower(t) + "Random").Params(r.Clone().Op("*").Qual("math/rand", "Rand")).Id(t.Name).BlockFunc(func(g *jen.Group) {
		g.Var().Id("v").Id(t.Name)
		for _, fl := range t.Fields {
			if fl.CBOR == nil {
				continue
			}
			dst := jen.Id("v").Dot(fl.Name)
			if fl.CodecOther() && !quickable(fl.Type, map[types.Type]bool{}) {
				g.Commentf("%s stays zero: testing/quick cannot fill a type with unexported fields.", fl.Name)
				continue
			}
			if fl.CodecOther() {
				g.If(jen.List(jen.Id("x"), jen.Id("ok")).Op(":=").Qual("testing/quick", "Value").Call(jen.Qual("reflect", "TypeOf").Call(dst.Clone()), r.Clone()), jen.Id("ok")).Block(
					jen.Qual("reflect", "ValueOf").Call(jen.Op("&").Add(dst.Clone())).Dot("Elem").Call().Dot("Set").Call(jen.Id("x")),
				)
				continue
			}
			g.Add(dst).Op("=").Add(randomValue(fl, h))
		}
		g.Return(jen.Id("v"))
	})
}

// quickable reports whether testing/quick.Value can fill a value of t without
// panicking: it panics on a struct with unexported fields (time.Time,
// netip.Addr), anywhere inside.
func quickable(t types.Type, seen map[types.Type]bool) bool {
	if seen[t] {
		return true
	}
	seen[t] = true
	switch u := t.Underlying().(type) {
	case *types.Struct:
		for f := range u.Fields() {
			if !f.Exported() || !quickable(f.Type(), seen) {
				return false
			}
		}
	case *types.Pointer:
		return quickable(u.Elem(), seen)
	case *types.Slice:
		return quickable(u.Elem(), seen)
	case *types.Array:
		return quickable(u.Elem(), seen)
	case *types.Map:
		return quickable(u.Key(), seen) && quickable(u.Elem(), seen)
	}
	return true
}

func pick(vals ...jen.Code) jen.Code {
	return jen.Index().Add(vals[0].(*jen.Statement).Clone()).Values(vals[1:]...).Index(jen.Id("rng").Dot("Intn").Call(jen.Lit(len(vals) - 1)))
}

func randomValue(fl *gen.Field, h helpers) jen.Code {
	rng := jen.Id("rng")
	switch fl.Kind {
	case gen.Bool:
		return from(fl, rng.Clone().Dot("Intn").Call(jen.Lit(2)).Op("==").Lit(1))
	case gen.Int:
		return jen.Add(typeCode(fl.Type)).Parens(pick(jen.Int64(),
			jen.Lit(0), jen.Lit(1), jen.Lit(-1), jen.Lit(23), jen.Lit(24), jen.Lit(-25), jen.Lit(255), jen.Lit(256), jen.Lit(-65537),
			jen.Lit(math.MaxInt32), jen.Lit(math.MinInt32), jen.Qual("math", "MaxInt64"), jen.Qual("math", "MinInt64"),
			rng.Clone().Dot("Int63").Call(), jen.Op("-").Add(rng.Clone().Dot("Int63").Call())))
	case gen.Uint:
		return jen.Add(typeCode(fl.Type)).Parens(pick(jen.Uint64(),
			jen.Lit(0), jen.Lit(1), jen.Lit(23), jen.Lit(24), jen.Lit(255), jen.Lit(256), jen.Lit(65536), jen.Qual("math", "MaxUint32"),
			jen.Qual("math", "MaxUint64"), rng.Clone().Dot("Uint64").Call()))
	case gen.Float32, gen.Float64:
		return jen.Add(typeCode(fl.Type)).Parens(pick(jen.Float64(),
			jen.Lit(0.0), jen.Qual("math", "Copysign").Call(jen.Lit(0.0), jen.Lit(-1.0)), jen.Lit(1.5), jen.Lit(-2.25), jen.Lit(65504.0), jen.Lit(1e-7), jen.Lit(3.4e38),
			jen.Qual("math", "NaN").Call(), jen.Qual("math", "Inf").Call(jen.Lit(1)), jen.Qual("math", "Inf").Call(jen.Lit(-1)),
			jen.Qual("math", "SmallestNonzeroFloat64"), jen.Float64().Parens(jen.Float32().Parens(rng.Clone().Dot("NormFloat64").Call())),
			rng.Clone().Dot("NormFloat64").Call().Op("*").Lit(1e6)))
	case gen.String:
		return from(fl, jen.String().Parens(jen.Id(h.randomBytes()).Call(rng.Clone())))
	case gen.Bytes:
		return from(fl, jen.Id(h.randomBytes()).Call(rng.Clone()))
	case gen.Time:
		return pick(jen.Qual("time", "Time"),
			jen.Qual("time", "Time").Values(),
			jen.Qual("time", "Unix").Call(rng.Clone().Dot("Int63n").Call(jen.Lit(4e9)), rng.Clone().Dot("Int63n").Call(jen.Lit(1e9))),
			jen.Qual("time", "Unix").Call(rng.Clone().Dot("Int63n").Call(jen.Lit(4e9)), jen.Lit(0)).Dot("In").Call(jen.Qual("time", "FixedZone").Call(jen.Lit("X"), jen.Lit(-5*3600))),
			jen.Qual("time", "Date").Call(jen.Lit(1), jen.Lit(1), jen.Lit(1), jen.Lit(0), jen.Lit(0), jen.Lit(0), jen.Lit(1), jen.Qual("time", "UTC")))
	}
	return jen.Nil()
}

func renderInteropTest(f *jen.File, t *gen.Type, h helpers) {
	plain := lower(t) + "CBOR"
	f.Commentf("Test%sCBORMatchesReflection checks the generated codec against", gen.Exported(t.Name))
	f.Comment("runtime.CBOREncMode and CBORDecMode on thousands of random values: the same")
	f.Comment("bytes, and the same values back.")
	f.Func().Id("Test"+gen.Exported(t.Name)+"CBORMatchesReflection").Params(jen.Id("t").Op("*").Qual("testing", "T")).Block(
		jen.Id("rng").Op(":=").Qual("math/rand", "New").Call(jen.Qual("math/rand", "NewSource").Call(jen.Lit(1))),
		jen.For(jen.Id("i").Op(":=").Range().Lit(2000)).Block(
			jen.Id("v").Op(":=").Id(lower(t)+"Random").Call(jen.Id("rng")),
			jen.List(jen.Id("got"), jen.Id("gotErr")).Op(":=").Id("v").Dot("AppendCBOR").Call(jen.Nil()),
			jen.List(jen.Id("want"), jen.Id("wantErr")).Op(":=").Add(rt("CBOREncMode")).Dot("Marshal").Call(jen.Parens(jen.Op("*").Id(plain)).Parens(jen.Op("&").Id("v"))),
			jen.If(jen.Parens(jen.Id("gotErr").Op("==").Nil()).Op("!=").Parens(jen.Id("wantErr").Op("==").Nil())).Block(
				jen.Id("t").Dot("Fatalf").Call(jen.Lit("value %d %+v: generated encoder error %v, reflection %v"), jen.Id("i"), jen.Id("v"), jen.Id("gotErr"), jen.Id("wantErr")),
			),
			jen.If(jen.Id("gotErr").Op("!=").Nil()).Block(jen.Continue()),
			jen.If(jen.Op("!").Qual("bytes", "Equal").Call(jen.Id("got"), jen.Id("want"))).Block(
				jen.Id("t").Dot("Fatalf").Call(jen.Lit("value %d %+v:\ngenerated  % x\nreflection % x"), jen.Id("i"), jen.Id("v"), jen.Id("got"), jen.Id("want")),
			),
			jen.Var().Id("dec").Id(t.Name),
			jen.If(jen.Id("err").Op(":=").Id("dec").Dot("UnmarshalCBOR").Call(jen.Id("want")), jen.Id("err").Op("!=").Nil()).Block(
				jen.Id("t").Dot("Fatalf").Call(jen.Lit("value %d: decoding % x: %v"), jen.Id("i"), jen.Id("want"), jen.Id("err")),
			),
			jen.Var().Id("ref").Id(plain),
			jen.If(jen.Id("err").Op(":=").Add(rt("CBORDecMode")).Dot("Unmarshal").Call(jen.Id("want"), jen.Op("&").Id("ref")), jen.Id("err").Op("!=").Nil()).Block(
				jen.Id("t").Dot("Fatalf").Call(jen.Lit("value %d: reflection decoding % x: %v"), jen.Id("i"), jen.Id("want"), jen.Id("err")),
			),
			jen.If(jen.Op("!").Id(h.sameCBOR()).Call(jen.Parens(jen.Op("*").Id(plain)).Parens(jen.Op("&").Id("dec")), jen.Op("&").Id("ref")).Op("||").Op("!").Id(h.sameCBOR()).Call(jen.Op("&").Id("ref"), jen.Parens(jen.Op("*").Id(plain)).Parens(jen.Op("&").Id("v")))).Block(
				jen.Id("t").Dot("Fatalf").Call(jen.Lit("value %d: round trip\nwrote      %+v\ngenerated  %+v\nreflection %+v"), jen.Id("i"), jen.Id("v"), jen.Id("dec"), jen.Id("ref")),
			),
		),
	)
}

func renderFuzz(f *jen.File, t *gen.Type, h helpers) {
	plain := lower(t) + "CBOR"
	f.Commentf("Fuzz%sUnmarshalCBOR holds the generated decoder to runtime.CBORDecMode's", gen.Exported(t.Name))
	f.Comment("results on any input: the same success or failure, the same value, no panic;")
	f.Comment("and the stores' decoding, which skips the key fields, to the same value.")
	f.Func().Id("Fuzz"+gen.Exported(t.Name)+"UnmarshalCBOR").Params(jen.Id("f").Op("*").Qual("testing", "F")).Block(
		jen.Id("rng").Op(":=").Qual("math/rand", "New").Call(jen.Qual("math/rand", "NewSource").Call(jen.Lit(2))),
		jen.For(jen.Range().Lit(8)).Block(
			jen.Id("v").Op(":=").Id(lower(t)+"Random").Call(jen.Id("rng")),
			jen.If(jen.List(jen.Id("b"), jen.Id("err")).Op(":=").Id("v").Dot("AppendCBOR").Call(jen.Nil()), jen.Id("err").Op("==").Nil()).Block(
				jen.Id("f").Dot("Add").Call(jen.Id("b")),
			),
		),
		jen.Id("f").Dot("Fuzz").Call(jen.Func().Params(jen.Id("t").Op("*").Qual("testing", "T"), jen.Id("data").Index().Byte()).Block(
			jen.Var().Id("got").Id(t.Name),
			jen.Id("gotErr").Op(":=").Id("got").Dot("UnmarshalCBOR").Call(jen.Id("data")),
			jen.Var().Id("want").Id(plain),
			jen.Id("wantErr").Op(":=").Add(rt("CBORDecMode")).Dot("Unmarshal").Call(jen.Id("data"), jen.Op("&").Id("want")),
			jen.If(jen.Parens(jen.Id("gotErr").Op("==").Nil()).Op("!=").Parens(jen.Id("wantErr").Op("==").Nil())).Block(
				jen.Id("t").Dot("Fatalf").Call(jen.Lit("% x: generated decoder error %v, reflection %v"), jen.Id("data"), jen.Id("gotErr"), jen.Id("wantErr")),
			),
			jen.If(jen.Id("gotErr").Op("==").Nil().Op("&&").Op("!").Id(h.sameCBOR()).Call(jen.Parens(jen.Op("*").Id(plain)).Parens(jen.Op("&").Id("got")), jen.Op("&").Id("want"))).Block(
				jen.Id("t").Dot("Fatalf").Call(jen.Lit("% x:\ngenerated  %+v\nreflection %+v"), jen.Id("data"), jen.Id("got"), jen.Id("want")),
			),
			jen.If(jen.Id("gotErr").Op("!=").Nil()).Block(jen.Return()),
			jen.Comment("What the stores decode, skipping the key fields, is what UnmarshalCBOR decodes."),
			jen.List(jen.Id("dec"), jen.Id("err")).Op(":=").Id(lower(t)+"Decode").Call(jen.Id("data")),
			jen.Id("dec").Op("=").Id(lower(t)+"WithKey").Call(jen.Id("dec"), jen.Id("got").Dot("StateKey").Call()),
			jen.If(jen.Id("err").Op("!=").Nil().Op("||").Op("!").Id(h.sameCBOR()).Call(jen.Parens(jen.Op("*").Id(plain)).Parens(jen.Op("&").Id("dec")), jen.Parens(jen.Op("*").Id(plain)).Parens(jen.Op("&").Id("got")))).Block(
				jen.Id("t").Dot("Fatalf").Call(jen.Lit("% x:\nthe stores' decode %+v, %v\nUnmarshalCBOR      %+v"), jen.Id("data"), jen.Id("dec"), jen.Id("err"), jen.Id("got")),
			),
		)),
	)
}

func renderBench(f *jen.File, t *gen.Type) {
	plain := lower(t) + "CBOR"
	setup := []jen.Code{
		jen.Id("v").Op(":=").Id(lower(t) + "Random").Call(jen.Qual("math/rand", "New").Call(jen.Qual("math/rand", "NewSource").Call(jen.Lit(3)))),
	}
	f.Commentf("Benchmark%sEncode compares AppendCBOR, into a reused buffer, with", gen.Exported(t.Name))
	f.Comment("runtime.CBOREncMode encoding the same value by reflection.")
	f.Func().Id("Benchmark" + gen.Exported(t.Name) + "Encode").Params(jen.Id("b").Op("*").Qual("testing", "B")).Block(append(setup,
		jen.Id("b").Dot("Run").Call(jen.Lit("statekit"), jen.Func().Params(jen.Id("b").Op("*").Qual("testing", "B")).Block(
			jen.Id("buf").Op(":=").Make(jen.Index().Byte(), jen.Lit(0), jen.Lit(1024)),
			jen.Id("b").Dot("ReportAllocs").Call(),
			jen.For(jen.Id("b").Dot("Loop").Call()).Block(jen.List(jen.Id("buf"), jen.Id("_")).Op("=").Id("v").Dot("AppendCBOR").Call(jen.Id("buf").Index(jen.Op(":").Lit(0)))),
		)),
		jen.Id("b").Dot("Run").Call(jen.Lit("fxamacker"), jen.Func().Params(jen.Id("b").Op("*").Qual("testing", "B")).Block(
			jen.Id("b").Dot("ReportAllocs").Call(),
			jen.For(jen.Id("b").Dot("Loop").Call()).Block(jen.List(jen.Id("_"), jen.Id("_")).Op("=").Add(rt("CBOREncMode")).Dot("Marshal").Call(jen.Parens(jen.Op("*").Id(plain)).Parens(jen.Op("&").Id("v")))),
		)),
	)...)
	f.Commentf("Benchmark%sDecode compares UnmarshalCBOR with runtime.CBORDecMode", gen.Exported(t.Name))
	f.Comment("decoding the same bytes by reflection.")
	f.Func().Id("Benchmark" + gen.Exported(t.Name) + "Decode").Params(jen.Id("b").Op("*").Qual("testing", "B")).Block(append(setup,
		jen.List(jen.Id("data"), jen.Id("err")).Op(":=").Id("v").Dot("AppendCBOR").Call(jen.Nil()),
		jen.If(jen.Id("err").Op("!=").Nil()).Block(jen.Id("b").Dot("Fatal").Call(jen.Id("err"))),
		jen.Id("b").Dot("Run").Call(jen.Lit("statekit"), jen.Func().Params(jen.Id("b").Op("*").Qual("testing", "B")).Block(
			jen.Id("b").Dot("ReportAllocs").Call(),
			jen.For(jen.Id("b").Dot("Loop").Call()).Block(jen.Var().Id("out").Id(t.Name), jen.Id("_").Op("=").Id("out").Dot("UnmarshalCBOR").Call(jen.Id("data"))),
		)),
		jen.Id("b").Dot("Run").Call(jen.Lit("fxamacker"), jen.Func().Params(jen.Id("b").Op("*").Qual("testing", "B")).Block(
			jen.Id("b").Dot("ReportAllocs").Call(),
			jen.For(jen.Id("b").Dot("Loop").Call()).Block(jen.Var().Id("out").Id(plain), jen.Id("_").Op("=").Add(rt("CBORDecMode")).Dot("Unmarshal").Call(jen.Id("data"), jen.Op("&").Id("out"))),
		)),
	)...)
}
