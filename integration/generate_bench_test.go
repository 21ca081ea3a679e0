package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkGenerate runs stategen on a package of 20 annotated types, beside
// stringer on a package of 20 enum types: both load their package with
// golang.org/x/tools/go/packages, so the difference is what each does after.
func BenchmarkGenerate(b *testing.B) {
	bin := b.TempDir()
	for _, tool := range []struct{ out, pkg string }{
		{"stategen", "../cmd/stategen"},
		{"stringer", "golang.org/x/tools/cmd/stringer"},
	} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, tool.out), tool.pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("building %s: %v\n%s", tool.out, err, out)
		}
	}
	var annotated, enums strings.Builder
	annotated.WriteString("package app\n\nimport \"time\"\n")
	enums.WriteString("package app\n")
	var names []string
	for i := range 20 {
		if i%2 == 0 {
			fmt.Fprintf(&annotated, "\n//statekit:aggregate\ntype Agg%02d struct {\n\tKey string `statekit:\"key\"`\n\tN int64 `statekit:\"count\"`\n\tSum float64 `statekit:\"sum\"`\n\tAt time.Time `statekit:\"max\"`\n}\n", i)
		} else {
			fmt.Fprintf(&annotated, "\n//statekit:window size=1m slide=10s\ntype Win%02d struct {\n\tKey string `statekit:\"key\"`\n\tN int64 `statekit:\"count\"`\n\tSum float64 `statekit:\"sum\"`\n\tAt time.Time `statekit:\"max\"`\n}\n", i)
		}
		fmt.Fprintf(&enums, "\ntype Enum%02d int\n\nconst (\n\tA%02d Enum%02d = iota\n\tB%02d\n\tC%02d\n\tD%02d\n)\n", i, i, i, i, i, i)
		names = append(names, fmt.Sprintf("Enum%02d", i))
	}
	stategenDir := module(b, map[string]string{"types.go": annotated.String()})
	stringerDir := module(b, map[string]string{"types.go": enums.String()})
	run := func(b *testing.B, dir string, name string, args ...string) {
		for b.Loop() {
			cmd := exec.Command(filepath.Join(bin, name), args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%s: %v\n%s", name, err, out)
			}
		}
		b.ReportMetric(float64(generatedBytes(b, dir))/1e3, "out-KB")
	}
	b.Run("stategen", func(b *testing.B) { run(b, stategenDir, "stategen") })
	b.Run("stringer", func(b *testing.B) { run(b, stringerDir, "stringer", "-type="+strings.Join(names, ",")) })
}

// generatedBytes is the size of the Go files a generator wrote into dir: every
// .go file except the input types.go.
func generatedBytes(b *testing.B, dir string) int64 {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, f := range files {
		if filepath.Base(f) == "types.go" {
			continue
		}
		fi, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		n += fi.Size()
	}
	if n == 0 {
		b.Fatalf("nothing generated in %s", dir)
	}
	return n
}
