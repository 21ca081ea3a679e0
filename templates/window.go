package templates

import (
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/statekit/statekit/gen"
)

// renderWindowStore renders TStore for a window type, on runtime.Windows.
func renderWindowStore(f *jen.File, t *gen.Type) {
	store, key := t.Name+"Store", t.Name+"Key"
	recv := jen.Id("s").Op("*").Id(store)
	win := jen.Qual(RuntimePath, "Window")
	kind := "tumbling"
	if t.Slide != t.Size {
		kind = "sliding (every " + t.Slide.String() + ")"
	}

	f.Commentf("%s keeps %s values per key and per window: %s windows of %v,", store, t.Name, kind, t.Size)
	f.Commentf("aligned to the Unix epoch, firing %v after they end. State keys start", t.Lateness)
	f.Commentf("with %q, timer keys with %q; the fired watermark is kept under", statePrefix(t), timerPrefix(t))
	f.Commentf("%q. Create one store per backend and fire it from one place:", strings.TrimSuffix(timerPrefix(t), "/")+":watermark")
	f.Comment("the store keeps that watermark (see runtime.Windows).")
	notStoredDoc(f, t)
	f.Type().Id(store).Struct(
		jen.Id("w").Op("*").Qual(RuntimePath, "Windows"),
		jen.Id("bufs").Qual(RuntimePath, "BufPool"),
	)
	f.Commentf("New%s returns a %s on b.", store, store)
	f.Func().Id("New" + store).Params(jen.Id("b").Qual(RuntimePath, "Backend")).Op("*").Id(store).Block(
		jen.Return(jen.Op("&").Id(store).Values(jen.Id("w").Op(":").Add(rt("NewWindows")).Call(jen.Id("b"), rt("WindowSpec").Values(jen.Dict{
			jen.Id("Size"):        duration(t.Size),
			jen.Id("Slide"):       duration(t.Slide),
			jen.Id("Lateness"):    duration(t.Lateness),
			jen.Id("TTL"):         duration(t.TTL),
			jen.Id("StatePrefix"): jen.Index().Byte().Parens(jen.Id(lower(t) + "Prefix")),
			jen.Id("TimerPrefix"): jen.Index().Byte().Parens(jen.Id(lower(t) + "TimerPrefix")),
		})))),
	)

	fields := func(g *jen.Group, k jen.Code, fail ...jen.Code) {
		g.List(jen.Id("fields"), jen.Id("err")).Op(":=").Add(k).Dot("AppendKey").Call(jen.Make(jen.Index().Byte(), jen.Lit(0), jen.Lit(64)))
		g.If(jen.Id("err").Op("!=").Nil()).Block(jen.Return(append(fail, jen.Id("err"))...))
	}

	f.Comment("Add merges v into every window that contains at and has not fired, and")
	f.Comment("returns an error wrapping runtime.ErrLate, dropping v, if all of them have:")
	f.Comment("a window has fired once End+lateness <= the highest watermark FireDue had.")
	f.Func().Params(recv.Clone()).Id("Add").Params(ctxParam.Clone(), jen.Id("at").Qual("time", "Time"), jen.Id("v").Id(t.Name)).Error().BlockFunc(func(g *jen.Group) {
		fields(g, jen.Id("v").Dot("StateKey").Call())
		g.Id("buf").Op(":=").Id("s").Dot("bufs").Dot("Get").Call()
		g.Id("err").Op("=").Id("s").Dot("w").Dot("Add").Call(jen.Id("ctx"), jen.Id("fields"), jen.Id("at"), jen.Id(lower(t)+"MergeFunc").Call(jen.Id("v"), jen.Id("buf")))
		g.Id("s").Dot("bufs").Dot("Put").Call(jen.Id("buf"))
		g.Return(jen.Id("err"))
	})

	zero := jen.Id(t.Name).Values()
	f.Comment("Get returns the value of k in window w.")
	f.Func().Params(recv.Clone()).Id("Get").Params(ctxParam.Clone(), jen.Id("k").Id(key), jen.Id("w").Add(win.Clone())).Params(jen.Id(t.Name), jen.Bool(), jen.Error()).BlockFunc(func(g *jen.Group) {
		fields(g, jen.Id("k"), zero.Clone(), jen.False())
		g.List(jen.Id("raw"), jen.Id("ok"), jen.Id("err")).Op(":=").Id("s").Dot("w").Dot("Get").Call(jen.Id("ctx"), jen.Id("fields"), jen.Id("w"))
		g.If(jen.Id("err").Op("!=").Nil().Op("||").Op("!").Id("ok")).Block(jen.Return(zero.Clone(), jen.False(), jen.Id("err")))
		decodeValue(g, t, jen.Id("raw"), jen.Id("fields"), zero.Clone(), jen.False())
		setKeys(g, t)
		g.Return(jen.Id("v"), jen.True(), jen.Nil())
	})

	f.Comment("Put replaces the value of k in window w, which must be one of the store's")
	f.Comment("windows and not have fired (else an error wrapping runtime.ErrLate). v's")
	f.Comment("key fields are set from k.")
	f.Func().Params(recv.Clone()).Id("Put").Params(ctxParam.Clone(), jen.Id("k").Id(key), jen.Id("w").Add(win.Clone()), jen.Id("v").Id(t.Name)).Error().BlockFunc(func(g *jen.Group) {
		fields(g, jen.Id("k"))
		setKeys(g, t)
		g.List(jen.Id("raw"), jen.Id("err")).Op(":=").Id("v").Dot("AppendCBOR").Call(jen.Nil())
		g.If(jen.Id("err").Op("!=").Nil()).Block(jen.Return(jen.Id("err")))
		g.Return(jen.Id("s").Dot("w").Dot("Put").Call(jen.Id("ctx"), jen.Id("fields"), jen.Id("w"), jen.Id("raw")))
	})

	f.Comment("Delete deletes the value of k in window w. Its timer stays until the")
	f.Comment("window is due, when FireDue drops it without calling fn.")
	f.Func().Params(recv.Clone()).Id("Delete").Params(ctxParam.Clone(), jen.Id("k").Id(key), jen.Id("w").Add(win.Clone())).Error().BlockFunc(func(g *jen.Group) {
		fields(g, jen.Id("k"))
		g.Return(jen.Id("s").Dot("w").Dot("Delete").Call(jen.Id("ctx"), jen.Id("fields"), jen.Id("w")))
	})

	f.Comment("Windows calls fn for every window of k that holds a value, by start time.")
	f.Func().Params(recv.Clone()).Id("Windows").Params(ctxParam.Clone(), jen.Id("k").Id(key), jen.Id("fn").Func().Params(win.Clone(), jen.Id(t.Name)).Error()).Error().BlockFunc(func(g *jen.Group) {
		fields(g, jen.Id("k"))
		g.Return(jen.Id("s").Dot("w").Dot("Scan").Call(jen.Id("ctx"), jen.Id("fields"), jen.Func().Params(jen.Id("w").Add(win.Clone()), jen.Id("raw").Index().Byte()).Error().BlockFunc(func(g *jen.Group) {
			decodeValue(g, t, jen.Id("raw"), jen.Id("fields"))
			setKeys(g, t)
			g.Return(jen.Id("fn").Call(jen.Id("w"), jen.Id("v")))
		})))
	})

	f.Comment("FireDue calls fn for every window with End+lateness <= watermark, oldest")
	f.Comment("end first, then deletes its value and timer, and returns how many fired. If")
	f.Comment("fn fails, FireDue stops and returns its error; that window fires again")
	f.Comment("next time. A crash between fn and the delete fires it again too: at least once.")
	f.Comment("From then on Add refuses events for the windows due at watermark.")
	f.Func().Params(recv.Clone()).Id("FireDue").Params(ctxParam.Clone(), jen.Id("watermark").Qual("time", "Time"), jen.Id("fn").Func().Params(jen.Id(key), win.Clone(), jen.Id(t.Name)).Error()).Params(jen.Int(), jen.Error()).Block(
		jen.Return(jen.Id("s").Dot("w").Dot("FireDue").Call(jen.Id("ctx"), jen.Id("watermark"), jen.Func().Params(jen.Id("fields").Index().Byte(), jen.Id("w").Add(win.Clone()), jen.Id("raw").Index().Byte()).Error().BlockFunc(func(g *jen.Group) {
			g.Var().Id("k").Id(key)
			g.If(jen.Id("err").Op(":=").Id("k").Dot("DecodeKey").Call(jen.Id("fields")), jen.Id("err").Op("!=").Nil()).Block(
				jen.Return(rt("CorruptKey").Call(jen.Lit(t.Name), jen.Id("fields"), jen.Id("err"))),
			)
			decodeValue(g, t, jen.Id("raw"), jen.Id("fields"))
			setKeys(g, t)
			g.Return(jen.Id("fn").Call(jen.Id("k"), jen.Id("w"), jen.Id("v")))
		}))),
	)
}
