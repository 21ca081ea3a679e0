package templates

import (
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/statekit/statekit/gen"
)

// renderStore renders TStore and NewTStore, which describes t with a Schema
// to stateimpl's generic AggregateStore or WindowStore.
//
// TStore is a struct embedding a pointer to the generic store, not an alias
// of it: its methods are promoted, so every call reads as before, and the type
// is the package's own, so the user may declare methods on it (Go forbids
// methods on an instantiated type of another package), %T names it, and its
// doc comment is read where it is declared. Its comment names the methods and
// where they are documented, which go doc does not list for an embedded type.
func renderStore(f *jen.File, t *gen.Type) {
	store, key := t.Name+"Store", t.Name+"Key"
	schema := impl("Schema").Types(jen.Id(key), jen.Id(t.Name)).Values(jen.DictFunc(func(d jen.Dict) {
		d[jen.Id("Name")] = jen.Lit(t.Name)
		d[jen.Id("Prefix")] = jen.Lit(statePrefix(t))
		if t.TTL != 0 {
			d[jen.Id("TTL")] = duration(t.TTL)
		}
		d[jen.Id("AppendKey")] = jen.Id(key).Dot("AppendKey")
		d[jen.Id("DecodeKey")] = jen.Func().Params(jen.Id("b").Index().Byte()).Params(jen.Id("k").Id(key), jen.Id("err").Error()).Block(
			jen.Id("err").Op("=").Id("k").Dot("DecodeKey").Call(jen.Id("b")),
			jen.Return(jen.Id("k"), jen.Id("err")),
		)
		d[jen.Id("KeyOf")] = jen.Id(t.Name).Dot("StateKey")
		d[jen.Id("WithKey")] = jen.Id(lower(t) + "WithKey")
		d[jen.Id("Encode")] = jen.Id(t.Name).Dot("AppendCBOR")
		d[jen.Id("Decode")] = jen.Id(lower(t) + "Decode")
		d[jen.Id("Merge")] = jen.Id(lower(t) + "Merge")
	}))
	ttl := ""
	if t.TTL > 0 {
		ttl = ", each write with a TTL of " + gen.DurationText(t.TTL)
	}
	if t.Kind == gen.Window {
		kind := "tumbling windows of " + gen.DurationText(t.Size)
		if t.Slide != t.Size {
			kind = "sliding windows of " + gen.DurationText(t.Size) + " every " + gen.DurationText(t.Slide)
		}
		firing := "firing as they end"
		if t.Lateness > 0 {
			firing = "firing " + gen.DurationText(t.Lateness) + " after they end"
		}
		comment(f, "%s keeps %s values per %s and per window: %s, %s%s. "+
			"State keys start with %q, timer keys with %q; the fired watermark is kept under %q.",
			store, t.Name, key, kind, firing, ttl, statePrefix(t), timerPrefix(t), strings.TrimSuffix(timerPrefix(t), "/")+":watermark")
		methodsDoc(f, "WindowStore", "Add, Get, Put, Delete, Windows, FireDue, Watermark")
		notStoredDoc(f, t)
		f.Type().Id(store).Struct(jen.Op("*").Add(impl("WindowStore")).Types(jen.Id(key), jen.Id(t.Name)))
		comment(f, "%s returns a %s on b.", gen.Constructor(t), store)
		f.Func().Id(gen.Constructor(t)).Params(jen.Id("b").Add(rt("Backend"))).Op("*").Id(store).Block(
			jen.Return(jen.Op("&").Id(store).Values(impl("NewWindowStore").Call(jen.Id("b"), schema, impl("Windowing").Values(jen.DictFunc(func(d jen.Dict) {
				d[jen.Id("Size")] = duration(t.Size)
				d[jen.Id("Slide")] = duration(t.Slide)
				if t.Lateness != 0 {
					d[jen.Id("Lateness")] = duration(t.Lateness)
				}
				d[jen.Id("TimerPrefix")] = jen.Lit(timerPrefix(t))
			}))))),
		)
		legacyConstructor(f, t)
		return
	}
	comment(f, "%s keeps %s values by %s, under the key prefix %q%s. Merge merges %s.",
		store, t.Name, key, statePrefix(t), ttl, mergeDoc(t))
	methodsDoc(f, "AggregateStore", "Get, Put, Merge, Delete, Scan, All")
	notStoredDoc(f, t)
	f.Type().Id(store).Struct(jen.Op("*").Add(impl("AggregateStore")).Types(jen.Id(key), jen.Id(t.Name)))
	comment(f, "%s returns a %s on b.", gen.Constructor(t), store)
	f.Func().Id(gen.Constructor(t)).Params(jen.Id("b").Add(rt("Backend"))).Op("*").Id(store).Block(
		jen.Return(jen.Op("&").Id(store).Values(impl("NewAggregateStore").Call(jen.Id("b"), schema))),
	)
	legacyConstructor(f, t)
}

// legacyConstructor renders, for an unexported type, the constructor by the
// name generator version 1 gave it (NewclicksStore), deprecated.
func legacyConstructor(f *jen.File, t *gen.Type) {
	legacy, ok := gen.LegacyConstructor(t)
	if !ok {
		return
	}
	comment(f, "%s is %s, by the name generator version 1 gave it.", legacy, gen.Constructor(t))
	f.Comment("")
	f.Commentf("Deprecated: use %s.", gen.Constructor(t))
	f.Func().Id(legacy).Params(jen.Id("b").Add(rt("Backend"))).Op("*").Id(t.Name + "Store").Block(
		jen.Return(jen.Id(gen.Constructor(t)).Call(jen.Id("b"))),
	)
}

// methodsDoc names the methods a store promotes from the stateimpl store it
// embeds, and where their doc is.
func methodsDoc(f *jen.File, generic, methods string) {
	f.Comment("")
	comment(f, "Methods, documented on the embedded stateimpl.%s: %s.", generic, methods)
}

// mergeDoc says how t's values merge.
func mergeDoc(t *gen.Type) string {
	if t.Merge != gen.MergeFields {
		return "with " + t.Name + "'s own Merge method"
	}
	return "field by field: " + opSummary(t)
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
	case 1:
		f.Comment("")
		comment(f, "The field %s is not stored (it is tagged \"-\"): values read back have it zero.", names[0])
	default:
		f.Comment("")
		comment(f, "The fields %s are not stored (they are tagged \"-\"): values read back have them zero.",
			strings.Join(names, ", "))
	}
}

// duration renders d readably: 24 * time.Hour, time.Minute, 1500 *
// time.Millisecond, time.Nanosecond; 0 for zero.
func duration(d time.Duration) jen.Code {
	if d == 0 {
		return jen.Lit(0)
	}
	units := []struct {
		unit time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"},
		{time.Microsecond, "Microsecond"}, {time.Nanosecond, "Nanosecond"}}
	for _, u := range units {
		if d%u.unit == 0 {
			if d == u.unit {
				return jen.Qual("time", u.name)
			}
			return jen.Lit(int(d/u.unit)).Op("*").Qual("time", u.name)
		}
	}
	panic("unreachable: every Duration is a multiple of a Nanosecond")
}
