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
