package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/statekit/statekit/gen"
)

// renderMerge renders tMerge, the update that merges a value into the value a
// backend stores: decode, merge by t's ops or its own Merge method, encode.
func renderMerge(f *jen.File, t *gen.Type) {
	var counts []*gen.Field
	if t.Merge == gen.MergeFields {
		for _, fl := range t.Fields {
			if fl.Op == gen.Count && fl.CBOR != nil {
				counts = append(counts, fl)
			}
		}
	}
	missing := "in as given"
	if len(counts) > 0 {
		missing = "in with its count fields 1"
	}
	comment(f, "%sMerge appends to dst in merged into the stored value old, or, if none was found, %s.", lower(t), missing)
	f.Func().Id(lower(t)+"Merge").Params(jen.List(jen.Id("dst"), jen.Id("old")).Index().Byte(), jen.Id("found").Bool(), jen.Id("in").Id(t.Name)).Params(jen.Index().Byte(), jen.Error()).BlockFunc(func(g *jen.Group) {
		g.If(jen.Op("!").Id("found")).BlockFunc(func(g *jen.Group) {
			for _, fl := range counts {
				g.Id("in").Dot(fl.Name).Op("=").Lit(1)
			}
			g.Return(jen.Id("in").Dot("AppendCBOR").Call(jen.Id("dst")))
		})
		g.Var().Id("v").Id(t.Name)
		g.If(jen.Op("!").Id(lower(t)+"DecodeCBOR").Call(jen.Op("&").Id("v"), jen.Id("old"), impl("DecodeMerge"))).Block(
			jen.If(jen.Id("err").Op(":=").Id("v").Dot("UnmarshalCBOR").Call(jen.Id("old")), jen.Id("err").Op("!=").Nil()).Block(
				jen.Return(jen.Id("dst"), impl("Undecodable").Call(jen.Id("err"))),
			),
		)
		for _, k := range t.Keys {
			g.Id("v").Dot(k.Name).Op("=").Id("in").Dot(k.Name)
		}
		mergeOps(g, t)
		g.Return(jen.Id("v").Dot("AppendCBOR").Call(jen.Id("dst")))
	})
}

// mergeOps merges in into v.
func mergeOps(g *jen.Group, t *gen.Type) {
	switch t.Merge {
	case gen.MergeValue:
		g.Id("v").Op("=").Id("v").Dot("Merge").Call(jen.Id("in"))
		return
	case gen.MergePointer:
		g.Id("v").Dot("Merge").Call(jen.Op("&").Id("in"))
		return
	}
	for _, fl := range t.Fields {
		if fl.IsKey || fl.CBOR == nil {
			continue // keys are equal; skipped fields are not stored
		}
		dst, src := jen.Id("v").Dot(fl.Name), jen.Id("in").Dot(fl.Name)
		switch fl.Op {
		case gen.Last:
			g.Add(dst).Op("=").Add(src)
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
	}
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
