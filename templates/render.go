// Package templates renders a gen.Model into Go source with
// github.com/dave/jennifer: one render function per artifact (key schema,
// codec, merge, aggregate store, window store, tests). It returns bytes and
// writes nothing.
package templates

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/statekit/statekit/gen"
)

// RuntimePath is the import path of the package generated code uses.
const RuntimePath = "github.com/statekit/statekit/runtime"

// GenVersion is the generated-code API version this generator writes; the
// generated files check it against the runtime at compile time.
const GenVersion = 1

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
func Render(m *gen.Model, opts Options) ([]File, error) {
	var order []string
	groups := map[string][]*gen.Type{}
	for _, t := range m.Types {
		name := opts.Output
		if name == "" {
			name = strings.TrimSuffix(filepath.Base(t.File), ".go") + "_state.go"
		}
		if _, ok := groups[name]; !ok {
			order = append(order, name)
		}
		groups[name] = append(groups[name], t)
	}
	var files []File
	for _, name := range order {
		f, err := renderFile(m, name, groups[name], renderStateFile)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
		if opts.Tests {
			test := strings.TrimSuffix(name, ".go") + "_test.go"
			f, err := renderFile(m, test, groups[name], renderTestFile)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
	}
	return files, nil
}

func renderFile(m *gen.Model, name string, ts []*gen.Type, body func(*jen.File, []*gen.Type)) (File, error) {
	f := jen.NewFilePathName(m.PkgPath, m.PkgName)
	f.HeaderComment(gen.GeneratedHeader)
	f.ImportName(RuntimePath, "runtime")
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

func renderStateFile(f *jen.File, ts []*gen.Type) {
	f.Comment("This file fails to compile against a statekit runtime that lacks the API it")
	f.Comment("was generated for, rather than misbehave.")
	f.Const().Defs(
		jen.Id("_").Op("=").Qual(RuntimePath, "EnforceVersion").Call(jen.Lit(GenVersion).Op("-").Qual(RuntimePath, "MinGenVersion")),
		jen.Id("_").Op("=").Qual(RuntimePath, "EnforceVersion").Call(jen.Qual(RuntimePath, "MaxGenVersion").Op("-").Lit(GenVersion)),
	)
	for _, t := range ts {
		renderKeySchema(f, t)
		renderCodec(f, t)
		renderMerge(f, t)
		if t.Kind == gen.Window {
			renderWindowStore(f, t)
		} else {
			renderAggregateStore(f, t)
		}
	}
}

// rt is a reference to a name in the runtime package.
func rt(name string) *jen.Statement { return jen.Qual(RuntimePath, name) }

// lower is the prefix of t's unexported names.
func lower(t *gen.Type) string { return gen.Unexported(t.Name) }
