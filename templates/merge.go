package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/statekit/statekit/gen"
)

// renderMerge renders how two values of t merge (tMerge) and the update that
// merges a value into what a backend stores (tMergeFunc).
func renderMerge(f *jen.File, t *gen.Type) {
	v, in := jen.Id("v"), jen.Id("in")
	switch t.Merge {
	case gen.MergeValue:
		f.Commentf("%sMerge merges in into v with %s's own Merge method.", lower(t), t.Name)
		f.Func().Id(lower(t)+"Merge").Params(v.Clone().Op("*").Id(t.Name), in.Clone().Op("*").Id(t.Name)).Block(
			jen.Op("*").Id("v").Op("=").Id("v").Dot("Merge").Call(jen.Op("*").Id("in")),
		)
	case gen.MergePointer:
		f.Commentf("%sMerge merges in into v with %s's own Merge method.", lower(t), t.Name)
		f.Func().Id(lower(t)+"Merge").Params(v.Clone().Op("*").Id(t.Name), in.Clone().Op("*").Id(t.Name)).Block(
			jen.Id("v").Dot("Merge").Call(jen.Id("in")),
		)
	default:
		f.Commentf("%sMerge merges in into v, field by field: %s.", lower(t), opSummary(t))
		f.Func().Id(lower(t)+"Merge").Params(v.Clone().Op("*").Id(t.Name), in.Clone().Op("*").Id(t.Name)).BlockFunc(func(g *jen.Group) {
			used := false
			for _, fl := range t.Fields {
				if fl.IsKey || fl.CBOR == nil {
					continue // keys are equal; skipped fields are not stored
				}
				dst, src := jen.Id("v").Dot(fl.Name), jen.Id("in").Dot(fl.Name)
				switch fl.Op {
				case gen.Last:
					g.Add(dst).Op("=").Add(src)
				case gen.First:
					continue
				case gen.Sum:
					g.Add(dst).Op("+=").Add(src)
				case gen.Count:
					g.Add(dst).Op("++")
				case gen.Min, gen.Max:
					var better *jen.Statement
					switch {
					case fl.Kind == gen.Time && fl.Op == gen.Min:
						better = src.Clone().Dot("Before").Call(dst.Clone())
					case fl.Kind == gen.Time:
						better = src.Clone().Dot("After").Call(dst.Clone())
					case fl.Op == gen.Min:
						better = src.Clone().Op("<").Add(dst.Clone())
					default:
						better = src.Clone().Op(">").Add(dst.Clone())
					}
					g.If(better).Block(dst.Clone().Op("=").Add(src.Clone()))
				}
				used = true
			}
			if !used {
				g.Id("_").Op(",").Id("_").Op("=").List(jen.Id("v"), jen.Id("in"))
			}
		})
	}

	var counts []*gen.Field
	if t.Merge == gen.MergeFields {
		for _, fl := range t.Fields {
			if fl.Op == gen.Count && fl.CBOR != nil {
				counts = append(counts, fl)
			}
		}
	}
	f.Commentf("%sMergeFunc returns the update that merges in into the value a backend", lower(t))
	if len(counts) > 0 {
		f.Comment("stores; into a missing key, it stores in as given, with its count fields 1. It")
	} else {
		f.Comment("stores; into a missing key, it stores in as given. It")
	}
	f.Comment("encodes into *buf, which the caller owns and reuses.")
	f.Func().Id(lower(t)+"MergeFunc").Params(jen.Id("in").Id(t.Name), jen.Id("buf").Op("*").Index().Byte()).Qual(RuntimePath, "UpdateFunc").Block(
		jen.Return(jen.Func().Params(jen.Id("old").Index().Byte(), jen.Id("found").Bool()).Params(jen.Index().Byte(), jen.Bool(), jen.Error()).BlockFunc(func(g *jen.Group) {
			g.Id("v").Op(":=").Id("in")
			g.If(jen.Id("found")).Block(
				jen.Comment("Start from the key alone: the stored value's fields, and zero for those it lacks"),
				jen.Comment("(the last fields are skipped: the merge overwrites them)."),
				jen.Id("v").Op("=").Id(t.Name).ValuesFunc(func(g *jen.Group) {
					for _, k := range t.Keys {
						g.Id(k.Name).Op(":").Id("in").Dot(k.Name)
					}
				}),
				jen.If(jen.Op("!").Id(lower(t)+"DecodeCBOR").Call(jen.Op("&").Id("v"), jen.Id("old"), jen.True())).Block(
					jen.If(jen.Id("err").Op(":=").Id("v").Dot("UnmarshalCBOR").Call(jen.Id("old")), jen.Id("err").Op("!=").Nil()).Block(
						jen.Return(jen.Nil(), jen.False(), rt("CorruptValue").Call(jen.Lit(t.Name), jen.Nil(), jen.Id("err"))),
					),
				),
				jen.Id(lower(t)+"Merge").Call(jen.Op("&").Id("v"), jen.Op("&").Id("in")),
			).Else().BlockFunc(func(g *jen.Group) {
				for _, fl := range counts {
					g.Id("v").Dot(fl.Name).Op("=").Lit(1)
				}
			})
			g.List(jen.Id("b"), jen.Id("err")).Op(":=").Id("v").Dot("AppendCBOR").Call(jen.Parens(jen.Op("*").Id("buf")).Index(jen.Op(":").Lit(0)))
			g.Op("*").Id("buf").Op("=").Id("b")
			g.Return(jen.Id("b"), jen.Id("err").Op("==").Nil(), jen.Id("err"))
		})),
	)
}

func opSummary(t *gen.Type) string {
	s := ""
	for _, fl := range t.Fields {
		if fl.IsKey || fl.CBOR == nil {
			continue
		}
		if s != "" {
			s += ", "
		}
		s += fl.Name + " " + fl.Op.String()
	}
	if s == "" {
		return "nothing but keys"
	}
	return s
}
