package tour

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEBlocksAreCompiled holds the README to compiled code: every ```go
// block in it must appear, line for line (leading and trailing blanks aside),
// in a .go file of the module that the build or its tests compile (not
// testdata). The blocks are quoted from this package's examples and from the
// packages they show, so a README block cannot drift from the API.
func TestREADMEBlocksAreCompiled(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var sources [][]string
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "../.." {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sources = append(sources, trimLines(string(b)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlocks(string(readme))
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```go block: the extractor is broken")
	}
	for _, b := range blocks {
		if !quoted(b.lines, sources) {
			t.Errorf("README.md:%d: this ```go block is in no compiled .go file; quote it from an example:\n%s",
				b.line, strings.Join(b.lines, "\n"))
		}
	}
}

type block struct {
	line  int
	lines []string
}

// goBlocks returns the ```go blocks of markdown, their lines trimmed, blank
// lines dropped.
func goBlocks(markdown string) []block {
	var out []block
	var cur *block
	for i, line := range strings.Split(markdown, "\n") {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```go":
			cur = &block{line: i + 2}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			if l := strings.TrimSpace(line); l != "" {
				cur.lines = append(cur.lines, l)
			}
		}
	}
	return out
}

func trimLines(src string) []string {
	var out []string
	for _, l := range strings.Split(src, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// quoted reports whether want appears as a run of consecutive lines in one of
// sources.
func quoted(want []string, sources [][]string) bool {
	for _, src := range sources {
		for i := 0; i+len(want) <= len(src); i++ {
			if src[i] == want[0] && equal(src[i:i+len(want)], want) {
				return true
			}
		}
	}
	return false
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestQuoted(t *testing.T) {
	src := [][]string{trimLines("a\n\tb\n\n  c\nd")}
	tests := []struct {
		want []string
		ok   bool
	}{
		{[]string{"b", "c"}, true},
		{[]string{"a", "b", "c", "d"}, true},
		{[]string{"b", "d"}, false},
		{[]string{"d", "e"}, false},
	}
	for _, tt := range tests {
		if got := quoted(tt.want, src); got != tt.ok {
			t.Errorf("quoted(%q) = %v, want %v", tt.want, got, tt.ok)
		}
	}
	if b := goBlocks("x\n```go\n  one\n\n two\n```\n```sh\nno\n```\n"); len(b) != 1 || !equal(b[0].lines, []string{"one", "two"}) || b[0].line != 3 {
		t.Errorf("goBlocks = %+v", b)
	}
}
