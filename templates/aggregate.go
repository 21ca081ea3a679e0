package templates

import (
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/statekit/statekit/gen"
)

var ctxParam = jen.Id("ctx").Qual("context", "Context")

// setKeys sets the key fields of the value v from the key k.
func setKeys(g *jen.Group, t *gen.Type) {
	for _, k := range t.Keys {
		g.Id("v").Dot(k.Name).Op("=").Id("k").Dot(k.Name)
	}
}

// decodeValue decodes raw into a new v, reporting a corrupt value under key.
func decodeValue(g *jen.Group, t *gen.Type, raw, key jen.Code, fail ...jen.Code) {
	g.Var().Id("v").Id(t.Name)
	g.If(jen.Id("err").Op(":=").Id("v").Dot("UnmarshalCBOR").Call(raw), jen.Id("err").Op("!=").Nil()).Block(
		jen.Return(append(fail, rt("CorruptValue").Call(jen.Lit(t.Name), key, jen.Id("err")))...),
	)
}

// renderAggregateStore renders TStore for an aggregate type.
func renderAggregateStore(f *jen.File, t *gen.Type) {
	store, key := t.Name+"Store", t.Name+"Key"
	recv := jen.Id("s").Op("*").Id(store)
	ttl := ttlCode(t)

	f.Commentf("%s keeps %s values by %s in a runtime.Backend, under the key", store, t.Name, key)
	f.Commentf("prefix %q.", statePrefix(t))
	if t.TTL > 0 {
		f.Commentf("Every write has a TTL of %v, through the backend's runtime.TTLWriter.", t.TTL)
	}
	notStoredDoc(f, t)
	f.Type().Id(store).Struct(
		jen.Id("b").Qual(RuntimePath, "Backend"),
		jen.Id("bufs").Qual(RuntimePath, "BufPool"),
	)
	f.Commentf("New%s returns a %s on b.", store, store)
	f.Func().Id("New" + store).Params(jen.Id("b").Qual(RuntimePath, "Backend")).Op("*").Id(store).Block(
		jen.Return(jen.Op("&").Id(store).Values(jen.Id("b").Op(":").Id("b"))),
	)
	f.Comment("key returns the backend key of k.")
	f.Func().Params(recv.Clone()).Id("key").Params(jen.Id("k").Id(key)).Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(jen.Id("k").Dot("AppendKey").Call(jen.Append(jen.Make(jen.Index().Byte(), jen.Lit(0), jen.Lit(64)), jen.Id(lower(t)+"Prefix").Op("...")))),
	)

	f.Comment("Get returns the value stored under k.")
	f.Func().Params(recv.Clone()).Id("Get").Params(ctxParam.Clone(), jen.Id("k").Id(key)).Params(jen.Id(t.Name), jen.Bool(), jen.Error()).BlockFunc(func(g *jen.Group) {
		zero := jen.Id(t.Name).Values()
		g.List(jen.Id("key"), jen.Id("err")).Op(":=").Id("s").Dot("key").Call(jen.Id("k"))
		g.If(jen.Id("err").Op("!=").Nil()).Block(jen.Return(zero.Clone(), jen.False(), jen.Id("err")))
		g.List(jen.Id("raw"), jen.Id("ok"), jen.Id("err")).Op(":=").Id("s").Dot("b").Dot("Get").Call(jen.Id("ctx"), jen.Id("key"))
		g.If(jen.Id("err").Op("!=").Nil().Op("||").Op("!").Id("ok")).Block(jen.Return(zero.Clone(), jen.False(), jen.Id("err")))
		decodeValue(g, t, jen.Id("raw"), jen.Id("key"), zero.Clone(), jen.False())
		setKeys(g, t)
		g.Return(jen.Id("v"), jen.True(), jen.Nil())
	})

	f.Comment("Put stores v under its key, replacing what was there.")
	f.Func().Params(recv.Clone()).Id("Put").Params(ctxParam.Clone(), jen.Id("v").Id(t.Name)).Error().Block(
		jen.List(jen.Id("key"), jen.Id("err")).Op(":=").Id("s").Dot("key").Call(jen.Id("v").Dot("StateKey").Call()),
		jen.If(jen.Id("err").Op("!=").Nil()).Block(jen.Return(jen.Id("err"))),
		jen.Id("buf").Op(":=").Id("s").Dot("bufs").Dot("Get").Call(),
		jen.Defer().Id("s").Dot("bufs").Dot("Put").Call(jen.Id("buf")),
		jen.If(jen.List(jen.Op("*").Id("buf"), jen.Id("err")).Op("=").Id("v").Dot("AppendCBOR").Call(jen.Op("*").Id("buf")), jen.Id("err").Op("!=").Nil()).Block(jen.Return(jen.Id("err"))),
		jen.Return(rt("PutTTL").Call(jen.Id("ctx"), jen.Id("s").Dot("b"), jen.Id("key"), jen.Op("*").Id("buf"), ttl)),
	)

	f.Commentf("Merge merges v into the value stored under its key, atomically: concurrent")
	f.Commentf("Merges of one key never lose an update, on any backend (runtime.UpdateTTL).")
	f.Func().Params(recv.Clone()).Id("Merge").Params(ctxParam.Clone(), jen.Id("v").Id(t.Name)).Error().Block(
		jen.List(jen.Id("key"), jen.Id("err")).Op(":=").Id("s").Dot("key").Call(jen.Id("v").Dot("StateKey").Call()),
		jen.If(jen.Id("err").Op("!=").Nil()).Block(jen.Return(jen.Id("err"))),
		jen.Id("buf").Op(":=").Id("s").Dot("bufs").Dot("Get").Call(),
		jen.Id("err").Op("=").Add(rt("UpdateTTL")).Call(jen.Id("ctx"), jen.Id("s").Dot("b"), jen.Id("key"), ttl, jen.Id(lower(t)+"MergeFunc").Call(jen.Id("v"), jen.Id("buf"))),
		jen.Id("s").Dot("bufs").Dot("Put").Call(jen.Id("buf")),
		jen.Return(jen.Id("err")),
	)

	f.Comment("Delete deletes the value stored under k; a missing key is not an error.")
	f.Func().Params(recv.Clone()).Id("Delete").Params(ctxParam.Clone(), jen.Id("k").Id(key)).Error().Block(
		jen.List(jen.Id("key"), jen.Id("err")).Op(":=").Id("s").Dot("key").Call(jen.Id("k")),
		jen.If(jen.Id("err").Op("!=").Nil()).Block(jen.Return(jen.Id("err"))),
		jen.Return(jen.Id("s").Dot("b").Dot("Delete").Call(jen.Id("ctx"), jen.Id("key"))),
	)

	f.Comment("Scan calls fn for every stored value, in key order. fn returning")
	f.Comment("runtime.SkipAll stops the scan without an error.")
	f.Func().Params(recv.Clone()).Id("Scan").Params(ctxParam.Clone(), jen.Id("fn").Func().Params(jen.Id(t.Name)).Error()).Error().Block(
		jen.Return(jen.Id("s").Dot("b").Dot("Scan").Call(jen.Id("ctx"), jen.Index().Byte().Parens(jen.Id(lower(t)+"Prefix")), jen.Func().Params(jen.Id("key"), jen.Id("raw").Index().Byte()).Error().BlockFunc(func(g *jen.Group) {
			g.Var().Id("k").Id(key)
			g.If(jen.Id("err").Op(":=").Id("k").Dot("DecodeKey").Call(jen.Id("key").Index(jen.Len(jen.Id(lower(t)+"Prefix")).Op(":"))), jen.Id("err").Op("!=").Nil()).Block(
				jen.Return(rt("CorruptKey").Call(jen.Lit(t.Name), jen.Id("key"), jen.Id("err"))),
			)
			decodeValue(g, t, jen.Id("raw"), jen.Id("key"))
			setKeys(g, t)
			g.Return(jen.Id("fn").Call(jen.Id("v")))
		}))),
	)

	f.Comment("All yields every stored value, in key order; an error ends the sequence.")
	f.Func().Params(recv.Clone()).Id("All").Params(ctxParam.Clone()).Qual("iter", "Seq2").Types(jen.Id(t.Name), jen.Error()).Block(
		jen.Return(jen.Func().Params(jen.Id("yield").Func().Params(jen.Id(t.Name), jen.Error()).Bool()).Block(
			jen.Id("err").Op(":=").Id("s").Dot("Scan").Call(jen.Id("ctx"), jen.Func().Params(jen.Id("v").Id(t.Name)).Error().Block(
				jen.If(jen.Op("!").Id("yield").Call(jen.Id("v"), jen.Nil())).Block(jen.Return(rt("SkipAll"))),
				jen.Return(jen.Nil()),
			)),
			jen.If(jen.Id("err").Op("!=").Nil()).Block(jen.Id("yield").Call(jen.Id(t.Name).Values(), jen.Id("err"))),
		)),
	)
}

// notStoredDoc says which fields of t the store does not keep.
func notStoredDoc(f *jen.File, t *gen.Type) {
	var names []string
	for _, fl := range t.Fields {
		if fl.NotStored {
			names = append(names, fl.Name)
		}
	}
	switch len(names) {
	case 0:
		return
	case 1:
		f.Commentf("The field %s is not stored (it is tagged \"-\"): values read back have it zero.", names[0])
	default:
		f.Commentf("The fields %s are not stored (they are tagged \"-\"): values read back have them", strings.Join(names, ", "))
		f.Comment("zero.")
	}
}

// ttlCode is t's TTL as a time.Duration expression.
func ttlCode(t *gen.Type) jen.Code { return duration(t.TTL) }

// duration renders d readably: 24 * time.Hour, time.Minute, 1500 *
// time.Millisecond; 0 for zero.
func duration(d time.Duration) jen.Code {
	if d == 0 {
		return jen.Lit(0)
	}
	units := []struct {
		unit time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"}}
	for _, u := range units {
		if d%u.unit == 0 {
			if d == u.unit {
				return jen.Qual("time", u.name)
			}
			return jen.Lit(int(d/u.unit)).Op("*").Qual("time", u.name)
		}
	}
	return jen.Qual("time", "Duration").Call(jen.Lit(int(d)))
}
