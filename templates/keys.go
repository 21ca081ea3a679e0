package templates

import (
	"fmt"
	"strings"

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

// renderKeySchema renders TKey, StateKey and the key encoding.
func renderKeySchema(f *jen.File, t *gen.Type) {
	key := t.Name + "Key"
	comment(f, "%s is the key of a %s: its key fields, which encode in this order, so that a store's keys sort by them.", key, t.Name)
	f.Type().Id(key).StructFunc(func(g *jen.Group) {
		for _, k := range t.Keys {
			g.Id(k.Name).Add(typeCode(k.Type))
		}
	})

	comment(f, "StateKey returns the key of v.")
	f.Func().Params(jen.Id("v").Id(t.Name)).Id("StateKey").Params().Id(key).Block(
		jen.Return(jen.Id(key).ValuesFunc(func(g *jen.Group) {
			for _, k := range t.Keys {
				g.Id(k.Name).Op(":").Id("v").Dot(k.Name)
			}
		})),
	)

	var names []string
	hasTime := false
	for _, k := range t.Keys {
		names = append(names, "k."+k.Name)
		hasTime = hasTime || k.Kind == gen.Time
	}
	doc := fmt.Sprintf("AppendKey appends the order-preserving encoding of %s to dst.", strings.Join(names, ", then "))
	if hasTime {
		doc += " It fails only for a time outside the years 1678-2262."
	}
	comment(f, "%s", doc)
	f.Func().Params(jen.Id("k").Id(key)).Id("AppendKey").Params(jen.Id("dst").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).BlockFunc(func(g *jen.Group) {
		if hasTime {
			g.Var().Id("err").Error()
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

	comment(f, "DecodeKey sets k from an encoding AppendKey made; anything else is an error wrapping runtime.ErrCorrupt.")
	f.Func().Params(jen.Id("k").Op("*").Id(key)).Id("DecodeKey").Params(jen.Id("b").Index().Byte()).Error().BlockFunc(func(g *jen.Group) {
		g.Id("r").Op(":=").Add(rt("NewKeyReader")).Call(jen.Id("b"))
		g.Id("out").Op(":=").Id(key).ValuesFunc(func(g *jen.Group) {
			for _, k := range t.Keys {
				g.Line().Id(k.Name).Op(":").Add(from(k, keyReader(k)))
			}
			g.Line()
		})
		g.If(jen.Id("err").Op(":=").Id("r").Dot("Done").Call(), jen.Id("err").Op("!=").Nil()).Block(jen.Return(jen.Id("err")))
		g.Op("*").Id("k").Op("=").Id("out")
		g.Return(jen.Nil())
	})
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
