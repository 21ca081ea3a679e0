package gen_test

import (
	"bytes"
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/statekit/statekit/gen"
	"github.com/statekit/statekit/internal/golden"
	"github.com/statekit/statekit/templates"
)

// Each directory of testdata is one case: an input package, with stategen's
// flags in a file named flags if it needs any. An accepted case holds the
// expected output beside it (<file>.golden); a refused one (err_*) holds the
// problems stategen prints, in stderr.golden. go test ./gen -update rewrites
// the golden files.

func cases(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs
}

// flags reads a case's flags file: -tests, -output=name and -type=T,U.
func flags(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "flags"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// options returns the render options of a case's flags.
func options(t *testing.T, dir string) templates.Options {
	t.Helper()
	var opts templates.Options
	for _, f := range flags(t, dir) {
		switch {
		case f == "-tests":
			opts.Tests = true
		case strings.HasPrefix(f, "-output="):
			opts.Output = strings.TrimPrefix(f, "-output=")
		case strings.HasPrefix(f, "-type="):
		default:
			t.Fatalf("%s/flags: unknown flag %q", dir, f)
		}
	}
	return opts
}

// typesFlag returns the types of a case's -type flag.
func typesFlag(t *testing.T, dir string) []string {
	t.Helper()
	for _, f := range flags(t, dir) {
		if list, ok := strings.CutPrefix(f, "-type="); ok {
			return strings.Split(list, ",")
		}
	}
	return nil
}

func TestGolden(t *testing.T) {
	for _, name := range cases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", name)
			opts := options(t, dir)
			model, err := gen.Load(context.Background(), gen.Config{Dir: dir, Tests: opts.Tests, Types: typesFlag(t, dir)})
			if strings.HasPrefix(name, "err_") {
				if err == nil {
					t.Fatalf("stategen accepted a refused case: %d types", len(model.Types))
				}
				var ps gen.Problems
				if !errors.As(err, &ps) && name != "err_type_error" {
					t.Errorf("error is %T, want gen.Problems", err)
				}
				golden.Check(t, filepath.Join(dir, "stderr.golden"), []byte(err.Error()+"\n"))
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			files, err := templates.Render(model, opts)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			want := map[string]bool{}
			for _, f := range files {
				want[f.Name+".golden"] = true
				golden.Check(t, filepath.Join(dir, f.Name+".golden"), f.Content)
			}
			// The generated files the case carries that stategen removes, one a
			// line, in removed.golden (no file: none).
			removed := templates.Stale(model, files)
			if _, err := os.Stat(filepath.Join(dir, "removed.golden")); len(removed) > 0 || err == nil {
				want["removed.golden"] = true
				golden.Check(t, filepath.Join(dir, "removed.golden"), []byte(strings.Join(removed, "\n")+"\n"))
			}
			// No stale golden files, and the output is the same every time.
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".golden") && !want[e.Name()] {
					if golden.Updating() {
						os.Remove(filepath.Join(dir, e.Name()))
					} else {
						t.Errorf("%s: stale golden file: stategen no longer writes it", e.Name())
					}
				}
			}
			again, err := templates.Render(model, opts)
			if err != nil {
				t.Fatal(err)
			}
			for i := range files {
				if !bytes.Equal(files[i].Content, again[i].Content) {
					t.Errorf("%s: rendering twice gave different bytes", files[i].Name)
				}
			}
		})
	}
}

// TestGoldenCompiles copies every accepted case with its expected output into
// one temporary module and runs go vet on it: the golden outputs compile, and
// vet finds nothing in them.
func TestGoldenCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, name := range cases(t) {
		if strings.HasPrefix(name, "err_") {
			continue
		}
		src, dst := filepath.Join("testdata", name), filepath.Join(root, name)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(src)
		removed := map[string]bool{}
		if list, err := os.ReadFile(filepath.Join(src, "removed.golden")); err == nil {
			for _, n := range strings.Fields(string(list)) {
				removed[n] = true
			}
		}
		for _, e := range entries {
			n := e.Name()
			if !strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, ".go.golden") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(src, n))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(src, n+".golden")); err == nil || removed[n] {
				continue // output a case carries that stategen replaces or removes
			}
			if err := os.WriteFile(filepath.Join(dst, strings.TrimSuffix(n, ".golden")), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	writeModule(t, root, "example.com/golden", repo)
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet on the golden outputs: %v\n%s", err, out)
	}
	// Generated files carry their sources' build constraints (file names
	// and //go:build lines): the package builds on other systems too.
	cmd = exec.Command("go", "vet", "./build_constraints/")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOOS=windows", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=windows go vet on the golden outputs: %v\n%s", err, out)
	}
}

// writeModule writes a go.mod for module path at root that uses statekit from
// repo, and statekit's go.sum, so that it builds offline from the module cache.
func writeModule(t *testing.T, root, path, repo string) {
	t.Helper()
	mod := "module " + path + "\n\ngo 1.26\n\nrequire github.com/statekit/statekit v0.0.0\n\nreplace github.com/statekit/statekit => " + repo + "\n"
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReservedNamesMatchOutput ties stategen's lists of names to what it
// writes, on every accepted case: the package-level names of the output are
// GeneratedNames and GeneratedTestNames of its types, and every one of
// GeneratedNames is written; every parameter and local variable is a reserved
// local, so that no type of the package can be hidden by one unchecked; every
// predeclared name used is one stategen refuses to see redeclared.
func TestReservedNamesMatchOutput(t *testing.T) {
	var mu sync.Mutex
	used := map[string]bool{} // the locals of every case's output
	t.Cleanup(func() {        // after the parallel subtests
		if t.Failed() {
			return
		}
		for _, n := range gen.ReservedLocals() {
			if !used[n] {
				t.Errorf("gen.IsReservedLocal reserves %s, which no case's output uses: a stale name", n)
			}
		}
	})
	for _, name := range cases(t) {
		if strings.HasPrefix(name, "err_") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", name)
			opts := options(t, dir)
			model, err := gen.Load(context.Background(), gen.Config{Dir: dir, Tests: opts.Tests, Types: typesFlag(t, dir)})
			if err != nil {
				t.Fatal(err)
			}
			files, err := templates.Render(model, opts)
			if err != nil {
				t.Fatal(err)
			}
			declared, allowed := map[string]bool{}, map[string]bool{}
			for _, typ := range model.Types {
				for _, n := range append(gen.GeneratedNames(typ), gen.GeneratedTestNames(typ)...) {
					allowed[n] = true
				}
			}
			for _, f := range files {
				file, err := parser.ParseFile(token.NewFileSet(), f.Name, f.Content, parser.SkipObjectResolution)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range topLevel(file) {
					declared[n] = true
					if !allowed[n] {
						t.Errorf("%s declares %s, which gen.GeneratedNames and GeneratedTestNames lack", f.Name, n)
					}
				}
				for _, n := range locals(file) {
					mu.Lock()
					used[n] = true
					mu.Unlock()
					if !gen.IsReservedLocal(n) {
						t.Errorf("%s has a local %s, which gen.IsReservedLocal lacks", f.Name, n)
					}
				}
				for _, n := range predeclared(file) {
					if !gen.IsUsedPredeclared(n) {
						t.Errorf("%s uses the predeclared %s, which gen.IsUsedPredeclared lacks", f.Name, n)
					}
				}
			}
			for _, typ := range model.Types {
				for _, n := range gen.GeneratedNames(typ) {
					if !declared[n] {
						t.Errorf("gen.GeneratedNames(%s) has %s, which stategen never writes", typ.Name, n)
					}
				}
			}
		})
	}
}

// topLevel returns a file's package-level names, but for methods.
func topLevel(f *ast.File) []string {
	var names []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				names = append(names, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					names = append(names, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.Name != "_" {
							names = append(names, n.Name)
						}
					}
				}
			}
		}
	}
	return names
}

// locals returns the names of a file's receivers, parameters, results and
// local variables.
func locals(f *ast.File) []string {
	var names []string
	add := func(ids ...*ast.Ident) {
		for _, id := range ids {
			if id != nil && id.Name != "_" {
				names = append(names, id.Name)
			}
		}
	}
	fields := func(fl *ast.FieldList) {
		if fl != nil {
			for _, f := range fl.List {
				add(f.Names...)
			}
		}
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		fields(fd.Recv)
		ast.Inspect(fd, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncType:
				fields(n.Params)
				fields(n.Results)
			case *ast.AssignStmt:
				if n.Tok == token.DEFINE {
					for _, e := range n.Lhs {
						if id, ok := e.(*ast.Ident); ok {
							add(id)
						}
					}
				}
			case *ast.RangeStmt:
				if n.Tok == token.DEFINE {
					for _, e := range []ast.Expr{n.Key, n.Value} {
						if id, ok := e.(*ast.Ident); ok {
							add(id)
						}
					}
				}
			case *ast.DeclStmt:
				for _, s := range n.Decl.(*ast.GenDecl).Specs {
					if vs, ok := s.(*ast.ValueSpec); ok {
						add(vs.Names...)
					}
				}
			}
			return true
		})
	}
	return names
}

// predeclared returns the predeclared names a file refers to.
func predeclared(f *ast.File) []string {
	skip := map[*ast.Ident]bool{}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			skip[n.Sel] = true
		case *ast.KeyValueExpr:
			if id, ok := n.Key.(*ast.Ident); ok {
				skip[id] = true
			}
		case *ast.Field:
			for _, id := range n.Names {
				skip[id] = true
			}
		case *ast.Ident:
			if !skip[n] && types.Universe.Lookup(n.Name) != nil {
				names = append(names, n.Name)
			}
		}
		return true
	})
	return names
}
