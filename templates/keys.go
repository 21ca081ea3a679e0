package templates

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/statekit/statekit/gen"
)

// statePrefix and timerPrefix are the readable prefixes of a type's keys.
func statePrefix(t *gen.Type) string {
	if t.Kind == gen.Window {
		return "w/" + t.Prefix + "/"
	}
	return "a/" + t.Prefix + "/"
}

func timerPrefix(t *gen.Type) string { return "t/" + t.Prefix + "/" }

// renderKeySchema renders TKey, StateKey, the key encoding and the prefixes.
func renderKeySchema(f *jen.File, t *gen.Type) {
	key := t.Name + "Key"
	f.Commentf("%s is the key of a %s: its key fields. Keys encode in field order, so", key, t.Name)
	f.Comment("that a store's keys sort by them.")
	f.Type().Id(key).StructFunc(func(g *jen.Group) {
		for _, k := range t.Keys {
			g.Id(k.Name).Add(typeCode(k.Type))
		}
	})

	f.Commentf("StateKey returns the key of v.")
	f.Func().Params(jen.Id("v").Op("*").Id(t.Name)).Id("StateKey").Params().Id(key).Block(
		jen.Return(jen.Id(key).ValuesFunc(func(g *jen.Group) {
			for _, k := range t.Keys {
				g.Id(k.Name).Op(":").Id("v").Dot(k.Name)
			}
		})),
	)

	f.Comment("AppendKey appends the order-preserving encoding of k's fields to dst (see")
	f.Comment("runtime.AppendKeyString). It fails only for a time outside the years 1678-2262.")
	f.Func().Params(jen.Id("k").Id(key)).Id("AppendKey").Params(jen.Id("dst").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).BlockFunc(func(g *jen.Group) {
		for _, k := range t.Keys {
			if k.Kind == gen.Time {
				g.Var().Id("err").Error()
				break
			}
		}
		for _, k := range t.Keys {
			v := jen.Id("k").Dot(k.Name)
			switch k.Kind {
			case gen.Time:
				g.If(jen.List(jen.Id("dst"), jen.Id("err")).Op("=").Add(rt("AppendKeyTime")).Call(jen.Id("dst"), v), jen.Id("err").Op("!=").Nil()).Block(
					jen.Return(jen.Id("dst"), jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("encoding key field %s.%s: %%w", key, k.Name)), jen.Id("err"))),
				)
			default:
				g.Id("dst").Op("=").Add(rt(keyAppender(k))).Call(jen.Id("dst"), to(k, v))
			}
		}
		g.Return(jen.Id("dst"), jen.Nil())
	})

	f.Comment("DecodeKey sets k from an encoding AppendKey made. Anything else is an error")
	f.Comment("wrapping runtime.ErrCorrupt.")
	f.Func().Params(jen.Id("k").Op("*").Id(key)).Id("DecodeKey").Params(jen.Id("b").Index().Byte()).Error().BlockFunc(func(g *jen.Group) {
		g.Id("r").Op(":=").Add(rt("NewKeyReader")).Call(jen.Id("b"))
		g.Var().Id("out").Id(key)
		for _, k := range t.Keys {
			g.Id("out").Dot(k.Name).Op("=").Add(from(k, keyReader(k)))
		}
		g.If(jen.Id("err").Op(":=").Id("r").Dot("Done").Call(), jen.Id("err").Op("!=").Nil()).Block(jen.Return(jen.Id("err")))
		g.Op("*").Id("k").Op("=").Id("out")
		g.Return(jen.Nil())
	})

	f.Commentf("%sPrefix starts the keys of %s values in the backend.", lower(t), t.Name)
	f.Const().Id(lower(t) + "Prefix").Op("=").Lit(statePrefix(t))
	if t.Kind == gen.Window {
		f.Commentf("%sTimerPrefix starts the keys of %s window timers: the window's end, then", lower(t), t.Name)
		f.Comment("the key fields, so that due windows are a range scan.")
		f.Const().Id(lower(t) + "TimerPrefix").Op("=").Lit(timerPrefix(t))
	}
}

func keyAppender(k *gen.Field) string {
	switch k.Kind {
	case gen.String:
		return "AppendKeyString"
	case gen.Bytes:
		return "AppendKeyBytes"
	case gen.Int:
		return "AppendKeyInt"
	case gen.Uint:
		return "AppendKeyUint"
	case gen.Bool:
		return "AppendKeyBool"
	}
	panic("templates: no key encoding for " + k.Kind.String())
}

func keyReader(k *gen.Field) jen.Code {
	r := jen.Id("r")
	switch k.Kind {
	case gen.String:
		return r.Dot("ReadString").Call()
	case gen.Bytes:
		return r.Dot("ReadBytes").Call()
	case gen.Int:
		return r.Dot("ReadInt").Call(bitsArg(k))
	case gen.Uint:
		return r.Dot("ReadUint").Call(bitsArg(k))
	case gen.Bool:
		return r.Dot("ReadBool").Call()
	case gen.Time:
		return r.Dot("ReadTime").Call()
	}
	panic("templates: no key decoding for " + k.Kind.String())
}
