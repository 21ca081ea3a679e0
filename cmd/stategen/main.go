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
// Bad input prints file.go:LINE:COL: message for every problem, exits 1 and
// writes no file. Output is gofmt'd and deterministic.
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
	if *output != "" && (filepath.Base(*output) != *output || !strings.HasSuffix(*output, ".go")) {
		fmt.Fprintf(stderr, "stategen: -output %q: want a .go file name in the package's directory\n", *output)
		return 2
	}
	cfg := gen.Config{Dir: *dir}
	if *typeList != "" {
		cfg.Types = strings.Split(*typeList, ",")
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
	if pkg := os.Getenv("GOPACKAGE"); pkg != "" && pkg != model.PkgName && pkg+"_test" != model.PkgName {
		fmt.Fprintf(stderr, "stategen: go generate says package %s, the directory holds package %s\n", pkg, model.PkgName)
		return 1
	}
	if len(model.Types) == 0 {
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
	for _, f := range files {
		if err := writeFile(filepath.Join(*dir, f.Name), f.Content); err != nil {
			fmt.Fprintln(stderr, "stategen:", err)
			return 1
		}
	}
	return 0
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
