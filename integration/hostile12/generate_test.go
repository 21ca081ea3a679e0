package hostile12_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// module writes a Go module that uses statekit from this repository, with
// files, at a new directory, and returns it (offline, from the module cache).
func module(t *testing.T, files map[string]string) string {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files["go.mod"] = "module example.com/app\n\ngo 1.26\n\nrequire github.com/statekit/statekit v0.0.0\n\nreplace github.com/statekit/statekit => " + repo + "\n"
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files["go.sum"] = string(sum)
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// gocmd runs the go command in dir, offline.
func gocmd(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// stategen builds cmd/stategen and returns its path.
func stategen(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "stategen")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/stategen").CombinedOutput(); err != nil {
		t.Fatalf("building stategen: %v\n%s", err, out)
	}
	return bin
}

const spend = `package app

import "context"

// Spend totals spend per customer.
//
//statekit:aggregate
type Spend struct {
	Customer string ` + "`statekit:\"key\"`" + `
	Cents    int64  ` + "`statekit:\"sum\"`" + `
}
`

// TestExitZeroMeansItCompiles: README promises "Exit 0 means code that
// compiles and vets", and issue 12 that "existing user code compiles
// unchanged". A method of the user's on a generated TStore compiled against
// generator v1 (TStore was a struct of the package); v2 makes TStore an
// alias of stateimpl.AggregateStore[...], on which Go forbids methods, yet
// stategen exits 0 and leaves a package that does not build. It should refuse
// with the method's position (as it refuses methods that duplicate generated
// ones), or the store should be a type methods can be declared on.
func TestExitZeroMeansItCompiles(t *testing.T) {
	bin := stategen(t)
	tests := []struct{ name, code string }{
		{"method on the aggregate store", spend + `
// CentsOf is the user's own helper on the store.
func (s *SpendStore) CentsOf(ctx context.Context, customer string) (int64, error) {
	v, _, err := s.Get(ctx, SpendKey{Customer: customer})
	return v.Cents, err
}
`},
		{"method on the window store", `package app

import "context"

// Clicks counts clicks.
//
//statekit:window size=1m
type Clicks struct {
	User string ` + "`statekit:\"key\"`" + `
	N    int64  ` + "`statekit:\"count\"`" + `
}

// Drain is the user's own helper on the store.
func (s ClicksStore) Drain(ctx context.Context) {}

var _ = context.Background
`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := module(t, map[string]string{"app.go": tc.code})
			cmd := exec.Command(bin)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
			out, err := cmd.CombinedOutput()
			if err != nil {
				if !strings.Contains(string(out), "app.go:") {
					t.Errorf("stategen refused without a position:\n%s", out)
				}
				return
			}
			if out, err := gocmd(t, dir, "build", "./..."); err != nil {
				t.Errorf("stategen exited 0, but the package does not build:\n%s", out)
			}
		})
	}
}

// TestGoDocShowsTheStoreMethods: the generated store is an alias "because go
// doc and gopls then show every method with T and TKey in its signature and
// the generic method's doc" (README, templates/store.go). go doc shows none:
// `go doc pkg TStore` prints the alias, its comment and the constructor, and
// no method; `go doc pkg TStore.Merge` is "no method or field". A reader of
// go doc learns from it neither that Merge exists nor where to look. The
// claim, or the alias's doc comment (naming its methods and
// stateimpl.AggregateStore), should change.
func TestGoDocShowsTheStoreMethods(t *testing.T) {
	cmd := exec.Command("go", "doc", ".", "ModelLatencyStore")
	cmd.Dir = "../stores"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go doc: %v\n%s", err, out)
	}
	for _, m := range []string{"Get", "Put", "Merge", "Delete", "Scan", "All"} {
		if !regexp.MustCompile(`\b` + m + `\b`).Match(out) {
			t.Errorf("go doc stores.ModelLatencyStore does not mention the method %s:\n%s", m, out)
		}
	}
}
