package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/statekit/statekit/internal/golden"
)

func TestFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown flag", []string{"-typo"}, 2, "flag provided but not defined: -typo"},
		{"stray argument", []string{"types.go"}, 2, `unexpected arguments ["types.go"]`},
		{"output with a path", []string{"-output", "../x.go"}, 2, "want a .go file name"},
		{"output not Go", []string{"-output", "x.txt"}, 2, "want a .go file name"},
		{"not a package", []string{"-dir", "testdata-does-not-exist"}, 1, "stategen"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr.String())
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x_state.go")
	if err := writeFile(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if err := writeFile(path, []byte("one")); err != nil { // unchanged: not touched
		t.Fatal(err)
	}
	fi2, _ := os.Stat(path)
	if !fi.ModTime().Equal(fi2.ModTime()) {
		t.Error("an unchanged file was rewritten")
	}
	if err := writeFile(path, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "two" {
		t.Errorf("content %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := writeFile(filepath.Join(dir, "missing", "x.go"), []byte("x")); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// TestRefusedInputWritesNothing runs stategen on a refused golden case: every
// problem printed, exit 1, no file written.
func TestRefusedInputWritesNothing(t *testing.T) {
	dir := filepath.Join("..", "..", "gen", "testdata", "err_many_problems")
	before, _ := os.ReadDir(dir)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-dir", dir}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	want, err := os.ReadFile(filepath.Join(dir, "stderr.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if stderr.String() != string(want) {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(before) {
		t.Errorf("refused input wrote files: %v -> %v", before, after)
	}
}

// pkgDir writes a module of one package with files into a new directory. The
// package needs nothing but the standard library to load.
func pkgDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/p\n\ngo 1.26\n"
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func annotated(name string) string {
	return "//statekit:aggregate\ntype " + name + " struct {\n\tID string `statekit:\"key\"`\n}\n"
}

func runIn(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	code = run(context.Background(), append([]string{"-dir", dir}, args...), &out, &errs)
	return code, out.String(), errs.String()
}

func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// TestNeverOverwritesUserFiles: a file stategen would write that it did not
// write before is the user's, and stays as it is.
func TestNeverOverwritesUserFiles(t *testing.T) {
	tests := []struct {
		name string
		args []string
		file string
	}{
		{"hand-written x_state.go", nil, "types_state.go"},
		{"-output names the source", []string{"-output", "types.go"}, "types.go"},
		{"-output names another file", []string{"-output", "helpers.go"}, "helpers.go"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := pkgDir(t, map[string]string{
				"types.go":       "package p\n\n" + annotated("T"),
				"types_state.go": "package p\n\n// hand-written\n",
				"helpers.go":     "package p\n\n// hand-written\n",
			})
			before, _ := os.ReadFile(filepath.Join(dir, tc.file))
			code, _, stderr := runIn(t, dir, tc.args...)
			if code != 1 || !strings.Contains(stderr, tc.file+" exists and stategen did not write it") {
				t.Errorf("exit %d, stderr:\n%s", code, stderr)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, tc.file)); !bytes.Equal(before, after) {
				t.Errorf("%s was overwritten:\n%s", tc.file, after)
			}
		})
	}
}

// TestRemovesStaleOutput: files stategen wrote for types no longer annotated,
// or for a -tests no longer given, are removed; those of types another run
// generates (-type) stay.
func TestRemovesStaleOutput(t *testing.T) {
	dir := pkgDir(t, map[string]string{
		"a.go": "package p\n\n" + annotated("A"),
		"b.go": "package p\n\n" + annotated("B"),
	})
	if code, _, stderr := runIn(t, dir, "-tests"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"a_state.go", "a_state_test.go", "b_state.go", "b_state_test.go"} {
		if !exists(dir, name) {
			t.Fatalf("%s not written", name)
		}
	}
	// -tests dropped: the codec tests of the types generated go.
	if code, stdout, stderr := runIn(t, dir, "-type", "A"); code != 0 || !strings.Contains(stdout, "removed a_state_test.go") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if exists(dir, "a_state_test.go") || !exists(dir, "b_state_test.go") || !exists(dir, "b_state.go") {
		t.Fatal("-type A removed the wrong files")
	}
	// B's annotation removed: its files go.
	if err := os.WriteFile(filepath.Join(dir, "b.go"), []byte("package p\n\ntype B struct{ ID string }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runIn(t, dir); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if exists(dir, "b_state.go") || exists(dir, "b_state_test.go") || !exists(dir, "a_state.go") {
		t.Fatal("the files of B were not removed, or those of A were")
	}
	// A moved to -output: a_state.go goes.
	if code, _, stderr := runIn(t, dir, "-output", "all_gen.go"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if exists(dir, "a_state.go") || !exists(dir, "all_gen.go") {
		t.Fatal("a_state.go not removed after -output all_gen.go")
	}
	// The last annotation gone: its file goes, and stategen still fails.
	if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte("package p\n\ntype A struct{ ID string }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runIn(t, dir)
	if code != 1 || !strings.Contains(stderr, "has no type marked") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if exists(dir, "all_gen.go") {
		t.Fatal("all_gen.go not removed after the last annotation went")
	}
}

func TestTypeFlag(t *testing.T) {
	dir := pkgDir(t, map[string]string{"types.go": "package p\n\n" + annotated("Totals")})
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown type", []string{"-type", "Nope"}, 1, "stategen: -type Nope: package p has no type Nope marked //statekit:window or //statekit:aggregate; it has Totals\n"},
		{"a typo", []string{"-type", "Total"}, 1, "stategen: -type Total: package p has no type Total marked //statekit:window or //statekit:aggregate (did you mean Totals?)\n"},
		{"no names", []string{"-type", " , "}, 2, "stategen: -type \" , \" names no type\n"},
		{"spaces and empty names", []string{"-type", " Totals, ,"}, 0, ""},
		{"output a test file", []string{"-output", "x_test.go"}, 2, "stategen: -output \"x_test.go\": go build leaves _test.go files out, and the stores with them; name a non-test file\n"},
		{"output ignored by _", []string{"-output", "_gen.go"}, 2, "stategen: -output \"_gen.go\": go build ignores files whose names start with _ or .; name another file\n"},
		{"output ignored by .", []string{"-output", ".gen.go"}, 2, "stategen: -output \".gen.go\": go build ignores files whose names start with _ or .; name another file\n"},
		{"output only .go", []string{"-output", ".go"}, 2, "stategen: -output \".go\": want a .go file name in the package's directory\n"},
		{"output for one system", []string{"-output", "all_linux.go"}, 2, "stategen: -output \"all_linux.go\": the name builds the file only for linux; name a file built everywhere\n"},
		{"output for one system and arch", []string{"-output", "all_linux_arm64.go"}, 2, "stategen: -output \"all_linux_arm64.go\": the name builds the file only for linux_arm64; name a file built everywhere\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runIn(t, dir, tc.args...)
			if code != tc.code || stderr != tc.want {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

// TestGoGenerateInExternalTestFile: go generate run from a file of package
// p_test says GOPACKAGE=p_test; stategen generates for package p.
func TestGoGenerateInExternalTestFile(t *testing.T) {
	dir := pkgDir(t, map[string]string{"types.go": "package p\n\n" + annotated("T")})
	for _, tc := range []struct {
		pkg  string
		code int
	}{{"p", 0}, {"p_test", 0}, {"q", 1}} {
		t.Setenv("GOPACKAGE", tc.pkg)
		if code, _, stderr := runIn(t, dir); code != tc.code {
			t.Errorf("GOPACKAGE=%s: exit %d, want %d: %s", tc.pkg, code, tc.code, stderr)
		}
	}
}

// TestStaleOutputUnderGoGenerate: go generate fails on a file it listed and
// can no longer read, so under it a stale file is emptied and kept out of
// builds, and the next run removes it.
func TestStaleOutputUnderGoGenerate(t *testing.T) {
	dir := pkgDir(t, map[string]string{
		"a.go": "package p\n\n" + annotated("A"),
		"b.go": "package p\n\n" + annotated("B"),
	})
	t.Setenv("GOFILE", "a.go")
	if code, _, stderr := runIn(t, dir); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.go"), []byte("package p\n\ntype B struct{ ID string }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runIn(t, dir)
	if code != 0 || !strings.Contains(stdout, "emptied b_state.go") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	stub, err := os.ReadFile(filepath.Join(dir, "b_state.go"))
	if err != nil {
		t.Fatalf("b_state.go is gone under go generate: %v", err)
	}
	for _, want := range []string{"// Code generated by stategen. DO NOT EDIT.\n// source: b.go\n", "\n//go:build ignore\n", "\npackage p\n"} {
		if !strings.Contains(string(stub), want) {
			t.Errorf("the stub lacks %q:\n%s", want, stub)
		}
	}
	if strings.Contains(string(stub), "BKey") {
		t.Errorf("the stub still declares B's names:\n%s", stub)
	}
	code, stdout, stderr = runIn(t, dir)
	if code != 0 || !strings.Contains(stdout, "removed b_state.go") || exists(dir, "b_state.go") {
		t.Fatalf("the next run did not remove the stub: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestOutputConflicts: -output cannot put types built under different
// constraints into one file, nor name a file another one already has.
func TestOutputConflicts(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		want  string
	}{
		{"file name constraint", map[string]string{"a_linux.go": "package p\n\n" + annotated("A"), "b.go": "package p\n\n" + annotated("B")},
			[]string{"-output", "all_gen.go"}, "stategen: -output all_gen.go: a_linux.go is built only where its name says (linux), and all_gen.go everywhere"},
		{"go:build line", map[string]string{"a.go": "package p\n\n" + annotated("A"), "b.go": "//go:build !windows\n\npackage p\n\n" + annotated("B")},
			[]string{"-output", "all_gen.go"}, "stategen: -output all_gen.go: a.go and b.go have different //go:build lines"},
		{"two files of one name", map[string]string{"a.go": "package p\n\n" + annotated("A"), "app_test.go": "package p\n\n" + annotated("F")},
			[]string{"-output", "app_test_state.go", "-tests"}, "stategen: two generated files would be named app_test_state_test.go"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := pkgDir(t, tc.files)
			code, _, stderr := runIn(t, dir, tc.args...)
			if code != 1 || !strings.HasPrefix(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 1, %q", code, stderr, tc.want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != len(tc.files) {
				t.Errorf("refused input wrote files: %v", entries)
			}
		})
	}
}
