package gen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/token"
	"go/types"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/tools/go/packages"

	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

// builder collects the model and the problems of one package.
type builder struct {
	pkg        *packages.Package
	cfg        Config
	generated  map[string]genFile        // files stategen wrote: not the user's declarations
	otherNames map[string]token.Position // package-level names in files of the package not loaded: tests, other platforms
	spans      []span                    // the declarations of annotated types
	problems   Problems
}

// span is the extent of a declaration.
type span struct{ from, to token.Position }

func (s span) contains(p token.Position) bool {
	return samePath(p.Filename, s.from.Filename) &&
		(p.Line > s.from.Line || p.Line == s.from.Line && p.Column >= s.from.Column) &&
		(p.Line < s.to.Line || p.Line == s.to.Line && p.Column <= s.to.Column)
}

func samePath(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := filepath.Abs(a)
	y, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && x == y
}

// typeErrors reports the package's type errors that fall inside an annotated
// type's declaration: the model cannot be trusted with them. Others are left
// to the compiler.
func (b *builder) typeErrors() {
	for _, e := range b.pkg.Errors {
		if e.Kind != packages.TypeError {
			continue
		}
		pos := parsePos(e.Pos)
		for _, s := range b.spans {
			if s.contains(pos) {
				b.problems = append(b.problems, Problem{Pos: pos, Msg: e.Msg})
				break
			}
		}
	}
}

// userDeclared reports whether obj is declared outside stategen's output.
func (b *builder) userDeclared(obj types.Object) bool {
	_, gen := b.generated[b.absPath(obj.Pos())]
	return !gen
}

// absPath is the absolute path of the file of p.
func (b *builder) absPath(p token.Pos) string {
	path, err := filepath.Abs(b.pos(p).Filename)
	if err != nil {
		return b.pos(p).Filename
	}
	return path
}

func (b *builder) problem(pos token.Position, format string, args ...any) {
	b.problems = append(b.problems, Problem{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (b *builder) pos(p token.Pos) token.Position { return b.pkg.Fset.Position(p) }

func build(pkg *packages.Package, cfg Config, generated map[string]genFile, scanned []scannedFile) (*Model, error) {
	b := &builder{pkg: pkg, cfg: cfg, generated: generated, otherNames: map[string]token.Position{}}
	m := &Model{PkgName: pkg.Name, PkgPath: pkg.PkgPath, Names: map[string]bool{}, Annotated: map[string][]string{}, Generated: map[string][]string{}, Unloaded: map[string]bool{}}
	for path, g := range generated {
		m.Generated[filepath.Base(path)] = g.sources
	}
	loaded := map[string]bool{}
	for _, path := range pkg.GoFiles {
		loaded[filepath.Base(path)] = true
	}
	for _, sf := range scanned {
		name := filepath.Base(sf.path)
		switch {
		case loaded[name]:
		case sf.pkg == pkg.Name:
			// A test file not loaded, or a file for another platform: its
			// names count, and if it may hold annotated types, what was
			// generated from it is not stale.
			maps.Copy(b.otherNames, sf.names)
			m.Unloaded[name] = sf.directive.IsValid()
		case sf.test && sf.directive.IsValid() && sf.pkg == pkg.Name+"_test":
			b.problem(sf.directive, "a //statekit: directive in package %s, an external test package: stategen generates into package %s only; "+
				"move the type into package %s (a _test.go file of package %s will do)", sf.pkg, pkg.Name, pkg.Name, pkg.Name)
		}
	}
	b.userNames(m)
	b.shadowedPredeclared()
	want := map[string]bool{}
	for _, name := range cfg.Types {
		want[name] = true
	}
	found := map[string]bool{}
	var all []*Type
	for _, file := range pkg.Syntax {
		for _, t := range b.file(file) {
			found[t.Name] = true
			all = append(all, t)
			m.Annotated[t.File] = append(m.Annotated[t.File], t.Name)
			if len(want) == 0 || want[t.Name] {
				m.Types = append(m.Types, t)
			}
		}
	}
	b.checkGeneratedNames(all)
	var foundNames []string
	for name := range found {
		foundNames = append(foundNames, name)
	}
	sort.Strings(foundNames)
	for _, name := range cfg.Types {
		if !found[name] {
			b.problems = append(b.problems, Problem{Msg: fmt.Sprintf("-type %s: package %s has no type %s marked //statekit:window or //statekit:aggregate%s",
				name, pkg.Name, name, suggestExact(name, foundNames))})
		}
	}
	b.checkPrefixes(all) // all: a -type run must not take a prefix another run uses
	b.typeErrors()
	if len(b.problems) > 0 {
		return nil, b.problems.sorted()
	}
	return m, nil
}

// file finds the directives of one file and builds their types. A directive
// anywhere but in the doc comment of a type declaration is a problem.
func (b *builder) file(f *ast.File) []*Type {
	attached := map[*ast.Comment]bool{}
	var types []*Type
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			doc := ts.Doc
			if doc == nil && len(gd.Specs) == 1 {
				doc = gd.Doc
			}
			var dirs []*directive
			var dirComments []*ast.Comment
			if doc != nil {
				for _, c := range doc.List {
					if strings.HasPrefix(c.Text, directivePrefix) {
						attached[c] = true
						d, ps := parseDirective(c.Text, b.pos(c.Slash))
						b.problems = append(b.problems, ps...)
						if d != nil {
							dirs = append(dirs, d)
							dirComments = append(dirComments, c)
						}
					}
				}
			}
			switch {
			case len(dirs) == 0:
				continue
			case len(dirs) > 1:
				b.problem(b.pos(dirComments[1].Slash), "type %s has more than one //statekit: directive", ts.Name.Name)
				continue
			}
			if t := b.typ(ts, dirs[0]); t != nil {
				t.Build = buildLine(f)
				types = append(types, t)
			}
		}
	}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, directivePrefix) && !attached[c] {
				b.problem(b.pos(c.Slash), "%s must be in the doc comment of a type declaration", strings.Fields(c.Text)[0])
			}
		}
	}
	return types
}

// typ builds one annotated type.
func (b *builder) typ(ts *ast.TypeSpec, d *directive) *Type {
	pos := b.pos(ts.Name.Pos())
	t := &Type{Name: ts.Name.Name, Kind: d.kind, Pos: pos, File: filepath.Base(pos.Filename), Test: strings.HasSuffix(pos.Filename, "_test.go")}
	b.spans = append(b.spans, span{b.pos(ts.Pos()), b.pos(ts.End())})
	before := len(b.problems)
	b.problems = append(b.problems, d.apply(t)...)
	obj, _ := b.pkg.TypesInfo.Defs[ts.Name].(*types.TypeName)
	if obj == nil {
		b.problem(pos, "%s: no type information", t.Name)
		return nil
	}
	if ts.TypeParams != nil {
		b.problem(pos, "//statekit:%s on %s: generic types are not supported", d.kind, t.Name)
		return nil
	}
	if t.Name == "_" {
		b.problem(pos, "//statekit:%s on a blank type: give it a name", d.kind)
		return nil
	}
	if reservedLocals[t.Name] {
		b.problem(pos, "//statekit:%s on %s: stategen's generated code has a local variable named %s, which would hide the type; rename the type", d.kind, t.Name, t.Name)
		return nil
	}
	if obj.IsAlias() {
		b.problem(pos, "//statekit:%s on %s: a type alias; put the directive on the type it names", d.kind, t.Name)
		return nil
	}
	named := obj.Type().(*types.Named)
	st, ok := named.Underlying().(*types.Struct)
	if !ok {
		b.problem(pos, "//statekit:%s applies to struct types; %s is %s", d.kind, t.Name, describe(named.Underlying()))
		return nil
	}
	for i := range st.NumFields() {
		if f := b.field(t, st.Field(i), st.Tag(i)); f != nil {
			t.Fields = append(t.Fields, f)
			if f.IsKey {
				t.Keys = append(t.Keys, f)
			}
			if f.CBOR != nil {
				t.Codec = append(t.Codec, f)
				t.HasIntKeys = t.HasIntKeys || f.CBOR.IsInt
			}
		}
	}
	if len(t.Keys) == 0 {
		b.problem(pos, "%s has no key fields: mark the fields that identify a value with `statekit:\"key\"`", t.Name)
	}
	sort.SliceStable(t.Codec, func(i, j int) bool { return bytes.Compare(t.Codec[i].CBOR.Encoded, t.Codec[j].CBOR.Encoded) < 0 })
	for i := 1; i < len(t.Codec); i++ {
		if bytes.Equal(t.Codec[i].CBOR.Encoded, t.Codec[i-1].CBOR.Encoded) {
			b.problem(t.Codec[i].Pos, "field %s has the CBOR key %q, as field %s does: duplicate key names", t.Codec[i].Name, t.Codec[i].CBOR.Name, t.Codec[i-1].Name)
		}
	}
	b.mergeMethod(t, named)
	b.checkNames(t, named)
	if len(b.problems) > before {
		return nil
	}
	return t
}

// localTypeNames returns the names of the types of package pkg in t, type
// arguments and composite types included.
func localTypeNames(t types.Type, pkg *types.Package) []string {
	var names []string
	var walk func(t types.Type)
	walk = func(t types.Type) {
		switch t := t.(type) {
		case *types.Alias:
			walk(types.Unalias(t))
		case *types.Named:
			if t.Obj().Pkg() == pkg && !slices.Contains(names, t.Obj().Name()) {
				names = append(names, t.Obj().Name())
			}
			for a := range t.TypeArgs().Types() {
				walk(a)
			}
		case *types.Pointer:
			walk(t.Elem())
		case *types.Slice:
			walk(t.Elem())
		case *types.Array:
			walk(t.Elem())
		case *types.Map:
			walk(t.Key())
			walk(t.Elem())
		case *types.Chan:
			walk(t.Elem())
		case *types.Signature:
			for _, tup := range []*types.Tuple{t.Params(), t.Results()} {
				for v := range tup.Variables() {
					walk(v.Type())
				}
			}
		case *types.Struct:
			for f := range t.Fields() {
				walk(f.Type())
			}
		case *types.Interface:
			for e := range t.EmbeddedTypes() {
				walk(e)
			}
			for m := range t.ExplicitMethods() {
				walk(m.Type())
			}
		}
	}
	walk(t)
	return names
}

// buildLine returns the file's //go:build line, or "".
func buildLine(f *ast.File) string {
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if constraint.IsGoBuild(c.Text) {
				return c.Text
			}
		}
	}
	return ""
}

func describe(t types.Type) string {
	switch t.(type) {
	case *types.Basic:
		if strings.ContainsRune("aeiou", rune(t.String()[0])) {
			return "an " + t.String()
		}
		return "a " + t.String()
	case *types.Slice:
		return "a slice"
	case *types.Map:
		return "a map"
	case *types.Pointer:
		return "a pointer"
	case *types.Interface:
		return "an interface"
	case *types.Signature:
		return "a func"
	case *types.Array:
		return "an array"
	case *types.Chan:
		return "a channel"
	}
	return t.String()
}

// field builds one field from its type and tags.
func (b *builder) field(t *Type, v *types.Var, tag string) *Field {
	pos := b.pos(v.Pos())
	f := &Field{Name: v.Name(), Pos: pos, Type: v.Type(), Exported: v.Exported()}
	if v.Embedded() {
		b.problem(pos, "%s.%s: embedded fields are not supported; give the field a name", t.Name, v.Name())
		return nil
	}
	st := reflect.StructTag(tag)
	if v.Name() == "_" {
		// A blank field holds nothing: padding, or a marker. Nothing to store.
		if sk, ok := st.Lookup("statekit"); ok {
			b.problem(pos, "%s._: a blank field holds no value; remove its statekit:%q tag", t.Name, sk)
		}
		return nil
	}
	f.Kind, f.Bits, f.Named = classify(v.Type())
	if f.Kind != Other {
		// Generated code names this type inside functions: so it does the
		// named types in it (type arguments).
		for _, name := range localTypeNames(v.Type(), b.pkg.Types) {
			if reservedLocals[name] {
				b.problem(pos, "%s.%s: its type uses %s, which has the name of a local variable in stategen's generated code, which would hide it; rename the type", t.Name, f.Name, name)
			}
		}
	}
	codecKind := f.Kind
	if hasCodecMethods(v.Type()) {
		codecKind = Other
	}
	if sk, ok := st.Lookup("statekit"); ok {
		b.statekitTag(t, f, sk)
	}
	b.cborTag(t, f, st, codecKind)
	f.codecOther = codecKind == Other
	if !f.Exported && !f.IsKey && !f.NotStored && !f.explicitOp {
		b.problem(pos, "%s.%s: an unexported field is not stored (the CBOR codec skips it), so it would read back as its zero value: "+
			"export it, or tag it `statekit:\"-\"` to say it is not stored", t.Name, f.Name)
	}
	return f
}

var keyKinds = map[FieldKind]bool{Bool: true, Int: true, Uint: true, String: true, Bytes: true, Time: true}

func (b *builder) statekitTag(t *Type, f *Field, tag string) {
	name := strings.TrimSpace(tag)
	if strings.Contains(name, ",") {
		b.problem(f.Pos, "%s.%s: statekit tag %q: one of key, -, %s", t.Name, f.Name, tag, opList())
		return
	}
	if name == "-" {
		if f.Exported {
			b.problem(f.Pos, "%s.%s: statekit:\"-\" marks an unexported field as not stored; an exported field is stored, unless tagged cbor:\"-\"", t.Name, f.Name)
			return
		}
		f.NotStored = true
		return
	}
	if name == "key" {
		f.IsKey = true
		if !keyKinds[f.Kind] {
			b.problem(f.Pos, "%s.%s: a key field has type %s; keys can be string, []byte, bool, integers or time.Time", t.Name, f.Name, typeString(f.Type))
		}
		return
	}
	op, ok := opNames[name]
	if !ok {
		b.problem(f.Pos, "%s.%s: unknown statekit tag %q%s; want key, - (not stored) or an op: %s", t.Name, f.Name, name, suggest(name, append([]string{"key"}, opSlice()...)), opList())
		return
	}
	f.Op = op
	f.explicitOp = true
	numeric := f.Kind == Int || f.Kind == Uint || f.Kind == Float32 || f.Kind == Float64
	switch {
	case op == Sum && !numeric:
		b.problem(f.Pos, "%s.%s: sum needs a number; the field is %s", t.Name, f.Name, typeString(f.Type))
	case (op == Min || op == Max) && !numeric && f.Kind != Time:
		b.problem(f.Pos, "%s.%s: %s needs a number or a time.Time; the field is %s", t.Name, f.Name, op, typeString(f.Type))
	case op == Count && f.Kind != Int && f.Kind != Uint:
		b.problem(f.Pos, "%s.%s: count needs an integer; the field is %s", t.Name, f.Name, typeString(f.Type))
	}
}

func opSlice() []string { return []string{"sum", "min", "max", "count", "first", "last"} }
func opList() string    { return strings.Join(opSlice(), ", ") }

// cborTag reads the cbor tag (or, without one, the json tag, as fxamacker
// does) and sets f.CBOR and f.OmitEmpty.
func (b *builder) cborTag(t *Type, f *Field, st reflect.StructTag, codecKind FieldKind) {
	tag, isCBOR := st.Lookup("cbor")
	if !isCBOR {
		tag = st.Get("json")
	}
	if !f.Exported || tag == "-" {
		switch {
		case f.explicitOp:
			why := "is unexported"
			switch {
			case f.Exported && isCBOR:
				why = `is tagged cbor:"-"`
			case f.Exported:
				why = `is tagged json:"-", which CBOR follows without a cbor tag`
			}
			b.problem(f.Pos, "%s.%s: the field %s, so the CBOR codec does not store it and its %s would be lost", t.Name, f.Name, why, f.Op)
		case f.Exported && !f.IsKey && !isCBOR:
			b.problem(f.Pos, "%s.%s: the field is tagged json:\"-\" and has no cbor tag, so the CBOR codec skips it too and it would read back as "+
				"its zero value: tag it cbor:%q to store it, or cbor:\"-\" to say it is not stored", t.Name, f.Name, f.Name)
		case f.Exported && !f.IsKey:
			f.NotStored = true
		}
		return
	}
	name, opts, _ := strings.Cut(tag, ",")
	key := &CBORKey{Name: name}
	if name == "" {
		key.Name = f.Name
	}
	for _, o := range strings.Split(opts, ",") {
		switch o {
		case "":
		case "omitempty":
			if codecKind == Time || codecKind == Other {
				b.problem(f.Pos, "%s.%s: omitempty is supported on bool, number, string and []byte fields only", t.Name, f.Name)
			}
			f.OmitEmpty = true
		case "keyasint":
			n, err := strconv.ParseInt(name, 10, 64)
			if err != nil {
				b.problem(f.Pos, "%s.%s: keyasint needs an integer name, not %q", t.Name, f.Name, name)
				return
			}
			key.IsInt, key.Int, key.Name = true, n, strconv.FormatInt(n, 10)
		default:
			b.problem(f.Pos, "%s.%s: cbor tag option %q is not supported; use omitempty or keyasint", t.Name, f.Name, o)
		}
	}
	var err error
	if key.IsInt {
		key.Encoded, err = runtime.CBOREncMode.Marshal(key.Int)
	} else {
		key.Encoded, err = runtime.CBOREncMode.Marshal(key.Name)
	}
	if err != nil {
		b.problem(f.Pos, "%s.%s: encoding its CBOR key: %v", t.Name, f.Name, err)
		return
	}
	f.CBOR = key
}

// classify returns a type's kind, its integer size and whether it is a named
// type (other than time.Time).
func classify(t types.Type) (kind FieldKind, bits int, named bool) {
	if isTime(t) {
		return Time, 0, false
	}
	_, named = types.Unalias(t).(*types.Named)
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch u.Kind() {
		case types.Bool:
			return Bool, 0, named
		case types.Int, types.Int8, types.Int16, types.Int32, types.Int64:
			return Int, intBits(u.Kind()), named
		case types.Uint, types.Uint8, types.Uint16, types.Uint32, types.Uint64, types.Uintptr:
			return Uint, intBits(u.Kind()), named
		case types.Float32:
			return Float32, 32, named
		case types.Float64:
			return Float64, 64, named
		case types.String:
			return String, 0, named
		}
	case *types.Slice:
		if e, ok := u.Elem().(*types.Basic); ok && e.Kind() == types.Byte && types.Identical(u.Elem(), types.Typ[types.Byte]) {
			return Bytes, 0, named
		}
	}
	return Other, 0, named
}

func intBits(k types.BasicKind) int {
	switch k {
	case types.Int8, types.Uint8:
		return 8
	case types.Int16, types.Uint16:
		return 16
	case types.Int32, types.Uint32:
		return 32
	case types.Int64, types.Uint64:
		return 64
	}
	return 0 // int, uint, uintptr: the platform's size
}

func isTime(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" && n.Obj().Name() == "Time"
}

// hasCodecMethods reports whether fxamacker would encode or decode a value of t
// through its own methods (CBOR or binary marshalling) rather than by kind.
func hasCodecMethods(t types.Type) bool {
	if isTime(t) {
		return false
	}
	ms := types.NewMethodSet(types.NewPointer(t))
	for _, name := range []string{"MarshalCBOR", "UnmarshalCBOR", "MarshalBinary", "UnmarshalBinary"} {
		if ms.Lookup(nil, name) != nil {
			return true
		}
	}
	return false
}

// shortPos formats a position as file.go:LINE:COL, as problems are.
func shortPos(p token.Position) string {
	return fmt.Sprintf("%s:%d:%d", filepath.Base(p.Filename), p.Line, p.Column)
}

func typeString(t types.Type) string {
	return types.TypeString(t, func(p *types.Package) string { return p.Name() })
}

// mergeMethod looks for a Merge method and checks its signature.
func (b *builder) mergeMethod(t *Type, named *types.Named) {
	ms := types.NewMethodSet(types.NewPointer(named))
	sel := ms.Lookup(nil, "Merge")
	if sel == nil {
		return
	}
	fn := sel.Obj().(*types.Func)
	sig := fn.Type().(*types.Signature)
	pos := b.pos(fn.Pos())
	if !t.Test && strings.HasSuffix(pos.Filename, "_test.go") {
		b.problem(pos, "%s.Merge is declared in a _test.go file, so the package's own build, where %s's store is, lacks it; "+
			"declare it beside %s, or rename it", t.Name, t.Name, t.Name)
		return
	}
	ptr := types.NewPointer(named)
	switch {
	case sig.Params().Len() == 1 && sig.Results().Len() == 1 &&
		types.Identical(sig.Params().At(0).Type(), named) && types.Identical(sig.Results().At(0).Type(), named):
		t.Merge = MergeValue
	case sig.Params().Len() == 1 && sig.Results().Len() == 0 && types.Identical(sig.Params().At(0).Type(), ptr):
		if _, isPtr := sig.Recv().Type().(*types.Pointer); !isPtr {
			b.problem(pos, "%s.Merge(other *%s) needs a pointer receiver to change the value it merges into", t.Name, t.Name)
			return
		}
		t.Merge = MergePointer
	default:
		b.problem(pos, "%s has a Merge method %s; want Merge(other %s) %s or Merge(other *%s), or rename it", t.Name, typeString(sig), t.Name, t.Name, t.Name)
		return
	}
	for _, f := range t.Fields {
		if f.explicitOp {
			b.problem(f.Pos, "%s.%s: %s has a Merge method, which replaces field ops: remove the statekit:%q tag", t.Name, f.Name, t.Name, f.Op)
		}
	}
}

// GeneratedNames returns the package-level names stategen declares for t.
func GeneratedNames(t *Type) []string {
	lower := Unexported(t.Name)
	names := []string{t.Name + "Key", t.Name + "Store", Constructor(t),
		lower + "CBOR", lower + "DecodeCBOR", lower + "Decode", lower + "WithKey", lower + "Merge"}
	if legacy, ok := LegacyConstructor(t); ok {
		names = append(names, legacy)
	}
	return names
}

// Constructor is the name of the function that returns t's store:
// NewClicksStore for Clicks, newClicksStore for an unexported clicks.
func Constructor(t *Type) string {
	if r, _ := utf8.DecodeRuneInString(t.Name); unicode.IsUpper(r) {
		return "New" + t.Name + "Store"
	}
	return "new" + Exported(t.Name) + "Store"
}

// LegacyConstructor is the name generator version 1 gave t's constructor,
// when it differs from Constructor's (NewclicksStore for an unexported
// clicks): stategen still declares it, deprecated, so that code calling it
// compiles.
func LegacyConstructor(t *Type) (string, bool) {
	name := "New" + t.Name + "Store"
	return name, name != Constructor(t)
}

// GeneratedTestNames returns the package-level names stategen declares for t
// in the codec tests (-tests). The helpers of a file (RandomBytes, SameCBOR)
// are named after its first type; every type reserves them.
func GeneratedTestNames(t *Type) []string {
	lower := Unexported(t.Name)
	upper := Exported(t.Name) // go test wants no lower-case letter after Test
	return []string{lower + "Random", "Test" + upper + "CBORMatchesReflection", "Fuzz" + upper + "UnmarshalCBOR",
		"Benchmark" + upper + "Encode", "Benchmark" + upper + "Decode", lower + "RandomBytes", lower + "SameCBOR"}
}

// GeneratedMethods returns the methods stategen declares on t.
var GeneratedMethods = []string{"StateKey", "MarshalCBOR", "UnmarshalCBOR", "AppendCBOR"}

// GeneratedKeyMethods returns the methods stategen declares on a type's key
// type, whose fields are the key fields.
var GeneratedKeyMethods = []string{"AppendKey", "DecodeKey"}

// aggregateStoreMembers and windowStoreMembers are the names a generated
// TStore has: the field of the stateimpl store it embeds, and that store's
// methods, which it promotes. A method of the user's on TStore with one of
// these names would hide the store's own.
var (
	aggregateStoreMembers = members(reflect.TypeFor[*stateimpl.AggregateStore[struct{}, struct{}]](), "AggregateStore")
	windowStoreMembers    = members(reflect.TypeFor[*stateimpl.WindowStore[struct{}, struct{}]](), "WindowStore")
)

func members(t reflect.Type, field string) []string {
	names := []string{field}
	for m := range t.Methods() {
		names = append(names, m.Name)
	}
	return names
}

// reservedLocals are the names generated code gives its parameters and local
// variables. A type of the package with one of these names would be hidden
// inside the functions that refer to it, so such types are refused; imports
// take other names.
var reservedLocals = setOf(`a b buf data dec dst err err1 err2 f found got gotErr i in isText k mode n num ok old out r ref rng
	t text v want wantErr x y`)

// ReservedLocals returns the names IsReservedLocal reserves, sorted.
func ReservedLocals() []string { return slices.Sorted(maps.Keys(reservedLocals)) }

// setOf returns the set of the space-separated words in s.
func setOf(s string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(s) {
		set[w] = true
	}
	return set
}

// IsReservedLocal reports whether generated code may use name for a
// parameter or local variable.
func IsReservedLocal(name string) bool { return reservedLocals[name] }

// usedPredeclared are Go's predeclared names that generated code uses, or may
// use for a field's type. A package-level declaration of one of them would
// change what the generated code means, so it is refused.
var usedPredeclared = setOf(`any append bool byte error false float32 float64 int int8 int16 int32 int64 len make new nil
	rune string true uint uint8 uint16 uint32 uint64 uintptr`)

// IsUsedPredeclared reports whether name is one of Go's predeclared names
// that generated code may use.
func IsUsedPredeclared(name string) bool { return usedPredeclared[name] }

// Unexported returns name with its leading capital, or its leading initialism,
// lowered: "ClickWindow" -> "clickWindow", "URLCount" -> "urlCount", "ID" ->
// "id", "HTTP2Stats" -> "http2Stats", "IDs" -> "ids", "URLsSeen" -> "urlsSeen".
func Unexported(name string) string {
	runes := []rune(name)
	n := 0
	for n < len(runes) && unicode.IsUpper(runes[n]) {
		n++
	}
	plural := n+1 < len(runes) && runes[n] == 's' && unicode.IsUpper(runes[n+1]) || n+1 == len(runes) && runes[n] == 's'
	if n > 1 && n < len(runes) && unicode.IsLower(runes[n]) && !plural {
		n-- // the last capital starts the next word: URLCount, but IDs, URLsSeen
	}
	for i := range n {
		runes[i] = unicode.ToLower(runes[i])
	}
	return string(runes)
}

// Exported returns name with its first letter raised: "clicks" -> "Clicks".
func Exported(name string) string {
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[n:]
}

// userNames fills m.Names: every package-level name of the user's files, the
// package's test files included.
func (b *builder) userNames(m *Model) {
	scope := b.pkg.Types.Scope()
	for _, name := range scope.Names() {
		if b.userDeclared(scope.Lookup(name)) {
			m.Names[name] = true
		}
	}
	for name := range b.otherNames {
		m.Names[name] = true
	}
}

// lookup returns the position of the user's package-level declaration of
// name, in any file of the package, test files included.
func (b *builder) lookup(name string) (token.Position, bool) {
	if obj := b.pkg.Types.Scope().Lookup(name); obj != nil && b.userDeclared(obj) {
		return b.pos(obj.Pos()), true
	}
	p, ok := b.otherNames[name]
	return p, ok
}

// shadowedPredeclared reports package-level declarations of predeclared names
// that generated code uses: `type bool int` would change its meaning.
func (b *builder) shadowedPredeclared() {
	names := make([]string, 0, len(usedPredeclared))
	for name := range usedPredeclared {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if pos, ok := b.lookup(name); ok {
			b.problem(pos, "the package declares %s, which hides Go's predeclared %s that stategen's generated code uses; rename it", name, name)
		}
	}
}

// checkGeneratedNames reports two annotated types for which stategen would
// declare the same name (Foo and foo both have fooCBOR).
func (b *builder) checkGeneratedNames(ts []*Type) {
	owner := map[string]*Type{}
	for _, t := range ts {
		names := GeneratedNames(t)
		if b.cfg.Tests {
			names = append(names, GeneratedTestNames(t)...)
		}
		for _, name := range names {
			if other, ok := owner[name]; ok && other != t {
				b.problem(t.Pos, "stategen declares %s for both %s (%s) and %s: rename one of them", name, other.Name, shortPos(other.Pos), t.Name)
				break
			}
			owner[name] = t
		}
	}
}

// checkNames reports names stategen would declare that the package or the type
// already has.
func (b *builder) checkNames(t *Type, named *types.Named) {
	names := GeneratedNames(t)
	if b.cfg.Tests {
		names = append(names, GeneratedTestNames(t)...)
	}
	for _, name := range names {
		if pos, ok := b.lookup(name); ok {
			b.problem(t.Pos, "stategen declares %s for %s, but the package already has it (%s)", name, t.Name, shortPos(pos))
		}
	}
	ptr := types.NewPointer(named)
	for _, name := range GeneratedMethods {
		obj, _, _ := types.LookupFieldOrMethod(ptr, true, b.pkg.Types, name)
		switch obj := obj.(type) {
		case *types.Var:
			b.problem(b.pos(obj.Pos()), "%s.%s: stategen declares the method %s.%s, which a field cannot share a name with; rename the field "+
				"(a cbor:%q tag keeps its stored name)", t.Name, name, t.Name, name, name)
		case *types.Func:
			if b.userDeclared(obj) {
				b.problem(b.pos(obj.Pos()), "stategen declares the method %s.%s, but %s already has it", t.Name, name, t.Name)
			}
		}
	}
	// Methods of the user's on the generated key and store types, found in
	// the syntax: when stale output was emptied to load the package, the
	// types are gone from its scope.
	storeMembers := aggregateStoreMembers
	if t.Kind == Window {
		storeMembers = windowStoreMembers
	}
	members := map[string][]string{t.Name + "Key": GeneratedKeyMethods, t.Name + "Store": storeMembers}
	for _, f := range b.pkg.Syntax {
		if _, gen := b.generated[b.absPath(f.Package)]; gen {
			continue
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || len(fd.Recv.List) != 1 {
				continue
			}
			recv := fd.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			if id, ok := recv.(*ast.Ident); ok && slices.Contains(members[id.Name], fd.Name.Name) {
				b.problem(b.pos(fd.Name.Pos()), "stategen declares %s.%s (on the type, or on the stateimpl store it embeds), "+
					"which this method would duplicate or hide; rename it", id.Name, fd.Name.Name)
			}
		}
	}
	for _, k := range t.Keys {
		if slices.Contains(GeneratedKeyMethods, k.Name) {
			b.problem(k.Pos, "%s.%s: a key field becomes a field of %sKey, which has a method %s; rename the field "+
				"(a cbor:%q tag keeps its stored name)", t.Name, k.Name, t.Name, k.Name, k.Name)
		}
	}
}

// checkPrefixes reports two stores of one kind with the same prefix.
func (b *builder) checkPrefixes(ts []*Type) {
	seen := map[string]*Type{}
	for _, t := range ts {
		k := t.Kind.String() + "/" + t.Prefix
		if other, ok := seen[k]; ok {
			b.problem(t.Pos, "%s and %s would share the %s prefix %q: set prefix= on one of them", other.Name, t.Name, t.Kind, t.Prefix)
			continue
		}
		seen[k] = t
	}
}
