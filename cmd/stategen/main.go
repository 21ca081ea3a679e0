// Command stategen generates typed window and aggregate stores for Go structs
// marked with //statekit:window or //statekit:aggregate. Run it with go generate
// in the package's directory:
//
//	//go:generate go tool stategen
//	//go:generate go run github.com/statekit/statekit/cmd/stategen -tests
//
// Flags:
//
//	-type T,U   generate only these types (default: every annotated type)
//	-output f   write every type to f instead of <file>_state.go beside each source
//	-tests      also write <file>_state_test.go: codec tests, fuzz targets, benchmarks
//	-dir d      the package's directory (default: the current one)
//
// A type declared in a _test.go file goes into <file>_test_state_test.go
// beside it (with its codec tests, under -tests), whatever -output says.
//
// Bad input prints file.go:LINE:COL: message for every problem, exits 1 and
// writes no file. Output is gofmt'd and deterministic. stategen replaces only
// files it wrote (known by their header), and removes those it wrote before
// that are stale: their types are no longer annotated, or this run writes
// them elsewhere (see templates.Stale).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/statekit/statekit/gen"
	"github.com/statekit/statekit/templates"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stategen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	typeList := fs.String("type", "", "comma-separated types to generate (default: every annotated type)")
	output := fs.String("output", "", "write every type to this file instead of <file>_state.go")
	tests := fs.Bool("tests", false, "also write codec tests, fuzz targets and benchmarks")
	dir := fs.String("dir", ".", "the package's directory")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stategen [-type T,U] [-output file] [-tests] [-dir dir]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "stategen: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return 2
	}
	if *output != "" {
		if err := templates.CheckOutput(*output); err != nil {
			fmt.Fprintln(stderr, "stategen:", err)
			return 2
		}
	}
	cfg := gen.Config{Dir: *dir, Tests: *tests}
	for name := range strings.SplitSeq(*typeList, ",") {
		if name = strings.TrimSpace(name); name != "" {
			cfg.Types = append(cfg.Types, name)
		}
	}
	if *typeList != "" && len(cfg.Types) == 0 {
		fmt.Fprintf(stderr, "stategen: -type %q names no type\n", *typeList)
		return 2
	}
	model, err := gen.Load(ctx, cfg)
	if err != nil {
		var ps gen.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				fmt.Fprintln(stderr, p)
			}
		} else {
			fmt.Fprintln(stderr, err)
		}
		return 1
	}
	if pkg := os.Getenv("GOPACKAGE"); pkg != "" && pkg != model.PkgName && pkg != model.PkgName+"_test" {
		fmt.Fprintf(stderr, "stategen: go generate says package %s, the directory holds package %s\n", pkg, model.PkgName)
		return 1
	}
	if len(model.Types) == 0 {
		// The last annotation is gone: what stategen wrote for it goes too,
		// and go generate still fails, as the line that runs stategen has
		// nothing left to do.
		removeStale(*dir, model.PkgName, templates.Stale(model, nil), stdout, stderr)
		fmt.Fprintf(stderr, "stategen: package %s has no type marked //statekit:window or //statekit:aggregate\n", model.PkgName)
		return 1
	}
	files, err := templates.Render(model, templates.Options{Output: *output, Tests: *tests})
	if err != nil {
		var fe *templates.FormatError
		if errors.As(err, &fe) {
			broken := filepath.Join(*dir, fe.File+".broken")
			if werr := os.WriteFile(broken, fe.Raw, 0o644); werr == nil {
				fmt.Fprintf(stderr, "%v\nthe unformatted output is in %s\n", err, broken)
				return 1
			}
		}
		fmt.Fprintln(stderr, err)
		return 1
	}
	// Only files stategen wrote are replaced: never a file of the user's
	// that happens to have the name (-output types.go, a hand-written
	// x_state.go).
	refused := false
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(*dir, f.Name)); err == nil && !generatedBefore(model, f.Name) {
			fmt.Fprintf(stderr, "stategen: %s exists and stategen did not write it (it lacks the header %q): rename it, or choose another file with -output\n", f.Name, gen.GeneratedHeader)
			refused = true
		}
	}
	if refused {
		return 1
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(*dir, f.Name), f.Content); err != nil {
			fmt.Fprintln(stderr, "stategen:", err)
			return 1
		}
	}
	if !removeStale(*dir, model.PkgName, templates.Stale(model, files), stdout, stderr) {
		return 1
	}
	return 0
}

// generatedBefore reports whether the file name in the package's directory is
// one stategen wrote.
func generatedBefore(m *gen.Model, name string) bool {
	_, ok := m.Generated[name]
	return ok
}

// staleConstraint keeps a stale file out of every build (see removeStale).
const staleConstraint = "//go:build ignore"

// removeStale removes the stale generated files names from dir, saying so on
// stdout, and reports whether it dealt with them all.
//
// Under go generate ($GOFILE set), a file may not vanish: go generate listed
// the package's files before it started, and fails on one it cannot read. So
// there a stale file is emptied instead, down to its header and a
// "//go:build ignore" that keeps it out of every build, go generate's list
// included; the next run removes it.
func removeStale(dir, pkg string, names []string, stdout, stderr io.Writer) bool {
	ok := true
	underGenerate := os.Getenv("GOFILE") != ""
	for _, name := range names {
		path := filepath.Join(dir, name)
		if underGenerate && !isStub(path) {
			stub := fmt.Sprintf("%s\n%s\n\n%s\n\n// This file is stale: stategen no longer generates it. It stays, empty and out of\n"+
				"// every build, until stategen runs again, because go generate was still to read it.\n\npackage %s\n",
				gen.GeneratedHeader, staleSources(dir, name), staleConstraint, pkg)
			if err := writeFile(path, []byte(stub)); err != nil {
				fmt.Fprintln(stderr, "stategen: emptying stale output:", err)
				ok = false
				continue
			}
			fmt.Fprintf(stdout, "stategen: emptied %s, stale output (types no longer annotated, or now written elsewhere); the next run removes it\n", name)
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintln(stderr, "stategen: removing stale output:", err)
			ok = false
			continue
		}
		fmt.Fprintf(stdout, "stategen: removed %s, stale output (types no longer annotated, or now written elsewhere)\n", name)
	}
	return ok
}

// isStub reports whether the file at path is a stale file removeStale emptied.
func isStub(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), "\n"+staleConstraint+"\n")
}

// staleSources returns the source line of the generated file at dir/name, so
// that its stub stays stale for the same reasons, or "" if it has none.
func staleSources(dir, name string) string {
	b, _ := os.ReadFile(filepath.Join(dir, name))
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, gen.SourcePrefix) {
			return line
		}
		if strings.HasPrefix(line, "package ") {
			break
		}
	}
	return "" // an older file, whose name says where it comes from
}

// writeFile replaces path with content through a temporary file, so that a
// failure never leaves a half-written file under the real name, and an
// unchanged file is not touched at all.
func writeFile(path string, content []byte) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(content) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
