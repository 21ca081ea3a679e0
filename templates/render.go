// Package templates renders a gen.Model into Go source with
// github.com/dave/jennifer: one render function per artifact (key schema,
// codec, merge, the store that describes the type to stateimpl's generic
// stores, tests). It returns bytes and writes nothing.
package templates

import (
	"bytes"
	"fmt"
	"go/types"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/statekit/statekit/gen"
)

// RuntimePath and ImplPath are the import paths of the packages generated
// code uses: the runtime its users know, and the contract package made for
// generated code.
const (
	RuntimePath = "github.com/statekit/statekit/runtime"
	ImplPath    = "github.com/statekit/statekit/runtime/stateimpl"
)

// GenVersion is the generated-code API version this generator writes; the
// generated files check it against stateimpl at compile time. Version 2 moved
// the stores into stateimpl's generic AggregateStore and WindowStore.
const GenVersion = 2

// Options shape the output.
type Options struct {
	// Output puts every type in this one file instead of <source>_state.go
	// beside each type's source file.
	Output string
	// Tests also writes <file>_test.go with round-trip, reflection-interop and
	// fuzz tests and benchmarks for the generated codecs.
	Tests bool
}

// File is one rendered file.
type File struct {
	Name    string // base name, in the package's directory
	Content []byte
}

// FormatError is returned when rendered code does not format: a generator bug.
// Raw holds the unformatted output, for the .broken file.
type FormatError struct {
	File string
	Raw  []byte
	Err  error
}

// Error says which file failed to format and why.
func (e *FormatError) Error() string {
	return fmt.Sprintf("stategen: generated %s does not format (a stategen bug): %v", e.File, e.Err)
}

// Unwrap returns the formatter's error.
func (e *FormatError) Unwrap() error { return e.Err }

// Render renders m. Files come in a fixed order and identical input renders to
// identical bytes.
//
// A type goes into <file>_state.go beside its source file <file>.go, or into
// Options.Output. A type declared in a _test.go file goes into
// <file>_test_state_test.go beside it, whatever Options.Output says, with its
// codec tests (-tests) in the same file: it exists only when the package's
// tests are compiled, and so must the code that uses it. The output is built
// under its source's constraints: the same //go:build line, and the same
// _GOOS_GOARCH name suffix (x_linux.go -> x_state_linux.go).
func Render(m *gen.Model, opts Options) ([]File, error) {
	var order []string
	groups := map[string][]*gen.Type{}
	for _, t := range m.Types {
		name := stateFileName(t, opts)
		if _, ok := groups[name]; !ok {
			order = append(order, name)
		}
		groups[name] = append(groups[name], t)
	}
	var files []File
	names := map[string]bool{}
	add := func(f File) error {
		if names[f.Name] {
			return fmt.Errorf("stategen: two generated files would be named %s: choose another -output", f.Name)
		}
		names[f.Name] = true
		files = append(files, f)
		return nil
	}
	for _, name := range order {
		ts := groups[name]
		if err := sameConstraints(name, ts, opts); err != nil {
			return nil, err
		}
		body := renderStateFile
		if ts[0].Test && opts.Tests {
			body = func(f *jen.File, ts []*gen.Type) {
				renderStateFile(f, ts)
				renderTestFile(f, ts)
			}
		}
		f, err := renderFile(m, name, ts, body)
		if err != nil {
			return nil, err
		}
		if err := add(f); err != nil {
			return nil, err
		}
		if opts.Tests && !ts[0].Test {
			f, err := renderFile(m, testFileName(name), ts, renderTestFile)
			if err != nil {
				return nil, err
			}
			if err := add(f); err != nil {
				return nil, err
			}
		}
	}
	return files, nil
}

// CheckOutput reports why name cannot be an Options.Output, or nil. It must
// be a .go file of the package's directory that go build compiles
// everywhere: not a test file, not one it ignores (_x.go, .x.go), not one
// its name constrains to a system (x_linux.go).
func CheckOutput(name string) error {
	stem, ok := strings.CutSuffix(name, ".go")
	switch {
	case !ok || filepath.Base(name) != name || stem == "":
		return fmt.Errorf("-output %q: want a .go file name in the package's directory", name)
	case strings.HasSuffix(stem, "_test"):
		return fmt.Errorf("-output %q: go build leaves _test.go files out, and the stores with them; name a non-test file", name)
	case strings.HasPrefix(name, "_") || strings.HasPrefix(name, "."):
		return fmt.Errorf("-output %q: go build ignores files whose names start with _ or .; name another file", name)
	}
	if _, suffix := splitOSArch(stem); suffix != "" {
		return fmt.Errorf("-output %q: the name builds the file only for %s; name a file built everywhere", name, suffix[1:])
	}
	return nil
}

// stateFileName is the file t's code goes into.
func stateFileName(t *gen.Type, opts Options) string {
	stem := strings.TrimSuffix(filepath.Base(t.File), ".go")
	stem = strings.TrimSuffix(stem, "_test")
	stem, suffix := splitOSArch(stem)
	switch {
	case t.Test:
		return stem + "_test_state" + suffix + "_test.go"
	case opts.Output != "":
		return opts.Output
	}
	return stem + "_state" + suffix + ".go"
}

// sameConstraints checks that the types going into the file name are built
// under one set of constraints, which the file then carries.
func sameConstraints(name string, ts []*gen.Type, opts Options) error {
	for _, t := range ts {
		_, suffix := splitOSArch(strings.TrimSuffix(strings.TrimSuffix(filepath.Base(t.File), ".go"), "_test"))
		switch {
		case suffix != "" && !t.Test && opts.Output != "":
			return fmt.Errorf("stategen: -output %s: %s is built only where its name says (%s), and %s everywhere; "+
				"without -output, each source gets a file of its own", name, t.File, suffix[1:], name)
		case t.Build != ts[0].Build:
			return fmt.Errorf("stategen: -output %s: %s and %s have different //go:build lines; "+
				"without -output, each source gets a file of its own", name, ts[0].File, t.File)
		}
	}
	return nil
}

// splitOSArch splits a file name stem (no .go, no _test) into what comes
// before its _GOOS, _GOARCH or _GOOS_GOARCH suffix and that suffix, by the
// rules of go/build.
func splitOSArch(stem string) (string, string) {
	i := strings.Index(stem, "_")
	if i < 0 {
		return stem, ""
	}
	l := strings.Split(stem[i:], "_")
	n := len(l)
	switch {
	case n >= 2 && knownOS[l[n-2]] && knownArch[l[n-1]] && len(stem)-len(l[n-2])-len(l[n-1])-2 > 0:
		k := len(stem) - len(l[n-2]) - len(l[n-1]) - 2
		return stem[:k], stem[k:]
	case n >= 1 && (knownOS[l[n-1]] || knownArch[l[n-1]]):
		k := len(stem) - len(l[n-1]) - 1
		return stem[:k], stem[k:]
	}
	return stem, ""
}

// knownOS and knownArch are go/build's lists (internal/syslist) of the names a
// file name's suffix constrains it to.
var (
	knownOS = setOf(`aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris
		wasip1 windows zos`)
	knownArch = setOf(`386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips mipsle mips64 mips64le mips64p32
		mips64p32le ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm`)
)

func setOf(s string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(s) {
		set[w] = true
	}
	return set
}

// testFileName is the file the codec tests of the state file name go into.
func testFileName(name string) string { return strings.TrimSuffix(name, ".go") + "_test.go" }

// Stale returns the files stategen wrote before that are stale after writing
// files for m: generated files (by their header) that this run did not write,
// and whose every source file has all its annotated types generated by this
// run (or none left), as far as this load could see: files its build
// constraints exclude count as annotated. Such a file declares what this run declared elsewhere,
// or what no longer exists, and would keep the package from compiling: a
// file for a type since removed or no longer annotated, the codec tests of a
// run without -tests, a file named by an -output no longer given. Generated
// files of types this run does not generate (-type) are left alone, as are
// those whose sources are unknown.
func Stale(m *gen.Model, written []File) []string {
	wrote := map[string]bool{}
	for _, f := range written {
		wrote[f.Name] = true
	}
	generating := map[string]bool{}
	for _, t := range m.Types {
		generating[t.Name] = true
	}
	covered := func(source string) bool {
		if m.Unloaded[source] {
			return false // built elsewhere: its annotations are unknown here
		}
		for _, name := range m.Annotated[source] {
			if !generating[name] {
				return false
			}
		}
		return true
	}
	var stale []string
	for name, sources := range m.Generated {
		if wrote[name] || len(sources) == 0 {
			continue
		}
		if !slices.ContainsFunc(sources, func(s string) bool { return !covered(s) }) {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	return stale
}

func renderFile(m *gen.Model, name string, ts []*gen.Type, body func(*jen.File, []*gen.Type)) (File, error) {
	f := jen.NewFilePathName(m.PkgPath, m.PkgName)
	f.HeaderComment(gen.GeneratedHeader)
	var sources []string
	for _, t := range ts {
		if !slices.Contains(sources, t.File) {
			sources = append(sources, t.File)
		}
	}
	f.HeaderComment(gen.SourcePrefix[len("// "):] + strings.Join(sources, ", "))
	if ts[0].Build != "" {
		f.HeaderComment(ts[0].Build)
	}
	importNames(f, m, ts)
	body(f, ts)
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		f.NoFormat = true
		var raw bytes.Buffer
		_ = f.Render(&raw)
		return File{}, &FormatError{File: name, Raw: raw.Bytes(), Err: err}
	}
	return File{Name: name, Content: buf.Bytes()}, nil
}

// stdImports are the packages generated files import, by path, with their
// names.
var stdImports = [][2]string{
	{RuntimePath, "runtime"}, {ImplPath, "stateimpl"}, {"bytes", "bytes"}, {"context", "context"}, {"fmt", "fmt"}, {"iter", "iter"},
	{"math", "math"}, {"math/rand", "rand"}, {"reflect", "reflect"}, {"strconv", "strconv"},
	{"testing", "testing"}, {"testing/quick", "quick"}, {"time", "time"},
}

// importNames names the packages the file may import so that no name can
// clash: not with a package-level name of the user's (var runtime = 1, type
// context struct{}), nor one stategen declares, nor a local variable of the
// generated code, nor a predeclared name. A package keeps its own name when
// that is free, else gets the first free of name1, name2, ...
func importNames(f *jen.File, m *gen.Model, ts []*gen.Type) {
	taken := maps.Clone(m.Names)
	for _, t := range m.Types {
		for _, n := range gen.GeneratedNames(t) {
			taken[n] = true
		}
		for _, n := range gen.GeneratedTestNames(t) {
			taken[n] = true
		}
	}
	imports := slices.Clone(stdImports)
	seen := map[string]bool{}
	for _, imp := range imports {
		seen[imp[0]] = true
	}
	for _, t := range ts {
		for _, fl := range t.Fields {
			forEachPackage(fl.Type, func(path, name string) {
				if path != m.PkgPath && !seen[path] {
					seen[path] = true
					imports = append(imports, [2]string{path, name})
				}
			})
		}
	}
	for _, imp := range imports {
		path, name := imp[0], imp[1]
		alias := name
		for i := 1; taken[alias] || gen.IsReservedLocal(alias) || types.Universe.Lookup(alias) != nil || jen.IsReservedWord(alias); i++ {
			alias = name + strconv.Itoa(i)
		}
		taken[alias] = true
		if alias == name {
			f.ImportName(path, name)
		} else {
			f.ImportAlias(path, alias)
		}
	}
}

// forEachPackage calls fn for the package of every named type in t, type
// arguments and composite types included (and for unsafe).
func forEachPackage(t types.Type, fn func(path, name string)) {
	switch t := t.(type) {
	case *types.Alias:
		forEachPackage(types.Unalias(t), fn)
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			fn("unsafe", "unsafe")
		}
	case *types.Named:
		if p := t.Obj().Pkg(); p != nil {
			fn(p.Path(), p.Name())
		}
		for a := range t.TypeArgs().Types() {
			forEachPackage(a, fn)
		}
	case *types.Pointer:
		forEachPackage(t.Elem(), fn)
	case *types.Slice:
		forEachPackage(t.Elem(), fn)
	case *types.Array:
		forEachPackage(t.Elem(), fn)
	case *types.Map:
		forEachPackage(t.Key(), fn)
		forEachPackage(t.Elem(), fn)
	case *types.Chan:
		forEachPackage(t.Elem(), fn)
	case *types.Signature:
		for _, tup := range []*types.Tuple{t.Params(), t.Results()} {
			for v := range tup.Variables() {
				forEachPackage(v.Type(), fn)
			}
		}
	case *types.Struct:
		for f := range t.Fields() {
			forEachPackage(f.Type(), fn)
		}
	case *types.Interface:
		for e := range t.EmbeddedTypes() {
			forEachPackage(e, fn)
		}
		for m := range t.ExplicitMethods() {
			forEachPackage(m.Type(), fn)
		}
	}
}

func renderStateFile(f *jen.File, ts []*gen.Type) {
	guard := func(expr jen.Code) jen.Code {
		return jen.Id("_").Op("=").Add(impl("EnforceVersion")).Call(expr)
	}
	f.Const().Defs(
		jen.Comment("An error here: this file is older than the statekit module; run go generate."),
		guard(jen.Lit(GenVersion).Op("-").Add(impl("MinGenVersion"))),
		jen.Comment("An error here: the statekit module is older than this file's stategen;"),
		jen.Comment("go get github.com/statekit/statekit@latest."),
		guard(impl("MaxGenVersion").Op("-").Lit(GenVersion)),
	)
	for _, t := range ts {
		renderKeySchema(f, t)
		renderCodec(f, t)
		renderMerge(f, t)
		renderStore(f, t)
	}
}

// rt and impl are references to a name in the runtime and stateimpl packages.
func rt(name string) *jen.Statement   { return jen.Qual(RuntimePath, name) }
func impl(name string) *jen.Statement { return jen.Qual(ImplPath, name) }

// lower is the prefix of t's unexported names.
func lower(t *gen.Type) string { return gen.Unexported(t.Name) }
