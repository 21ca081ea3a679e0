package gen_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statekit/statekit/gen"
	"github.com/statekit/statekit/templates"
)

// hostileNames are names that meet what stategen generates: its locals, its
// imports, its package-level names and methods, predeclared names.
var hostileNames = strings.Fields(`in v r x k s w b n t f i ok err key raw buf out dst data fields ctx fn yield
	runtime runtime1 context iter fmt strconv time bytes math rand reflect quick testing unsafe
	bool len error string int64 any nil append make
	Foo foo FooKey FooStore NewFooStore fooCBOR fooMerge fooPrefix fooRandom TestFooCBORMatchesReflection
	Key Store Test Merge StateKey AppendKey DecodeKey MarshalCBOR UnmarshalCBOR AppendCBOR Get Put Scan`)

// hostilePackage writes a random package of annotated types and declarations
// whose names come from hostileNames, valid Go by construction.
func hostilePackage(rng *rand.Rand, pkg string) map[string]string {
	used := map[string]bool{}
	pick := func(exported bool) string {
		for range 100 {
			n := hostileNames[rng.Intn(len(hostileNames))]
			if exported {
				n = gen.Exported(n)
			}
			if !used[n] && n != "_" && n != "init" && n != "main" {
				used[n] = true
				return n
			}
		}
		return ""
	}
	var src, test strings.Builder
	fmt.Fprintf(&src, "package %s\n\nimport tm_ \"time\"\n\nvar _ tm_.Time\n\n", pkg)
	fmt.Fprintf(&test, "package %s\n\nimport tm_ \"time\"\n\nvar _ tm_.Time\n\n", pkg)
	// A few package-level declarations of the user's, in either file.
	var localTypes []string
	for range rng.Intn(5) {
		n := pick(false)
		if n == "" {
			continue
		}
		w := &src
		if rng.Intn(3) == 0 {
			w = &test
		}
		switch rng.Intn(3) {
		case 0:
			fmt.Fprintf(w, "var %s = 1\n\n", n)
		case 1:
			fmt.Fprintf(w, "type %s int64\n\n", n)
			if w == &src {
				localTypes = append(localTypes, n)
			}
		default:
			fmt.Fprintf(w, "func %s() {}\n\n", n)
		}
	}
	for range 1 + rng.Intn(3) {
		name := pick(rng.Intn(3) > 0)
		if name == "" {
			continue
		}
		w := &src
		if rng.Intn(4) == 0 {
			w = &test
		}
		if rng.Intn(2) == 0 {
			fmt.Fprintf(w, "//statekit:aggregate prefix=%s%d\n", pkg, rng.Int())
		} else {
			fmt.Fprintf(w, "//statekit:window size=1m prefix=%s%d\n", pkg, rng.Int())
		}
		fmt.Fprintf(w, "type %s struct {\n", name)
		fields := map[string]bool{}
		for i := range 1 + rng.Intn(4) {
			fname := hostileNames[rng.Intn(len(hostileNames))]
			if rng.Intn(3) > 0 {
				fname = gen.Exported(fname)
			}
			if fields[fname] || fname == "_" {
				continue
			}
			fields[fname] = true
			typ := []string{"string", "int64", "bool", "[]byte", "tm_.Time"}[rng.Intn(5)]
			if len(localTypes) > 0 && w == &src && rng.Intn(3) == 0 {
				typ = localTypes[rng.Intn(len(localTypes))]
			}
			tag := ""
			switch {
			case i == 0:
				tag = "`statekit:\"key\"`"
			case fname[0] < 'A' || fname[0] > 'Z':
				tag = "`statekit:\"-\"`"
			}
			fmt.Fprintf(w, "\t%s %s %s\n", fname, typ, tag)
		}
		fmt.Fprintf(w, "}\n\n")
	}
	return map[string]string{"types.go": src.String(), "types_test.go": test.String()}
}

// TestHostileNamesCompile generates random packages whose names meet
// stategen's, and holds it to its promise: what it accepts compiles and
// vets, tests included. It must accept some, or it proves nothing.
func TestHostileNamesCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	writeModule(t, root, "example.com/hostile", repo)
	seed := int64(1) // HOSTILE_SEED=n hunts with other packages
	if s := os.Getenv("HOSTILE_SEED"); s != "" {
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatalf("HOSTILE_SEED=%q: %v", s, err)
		}
	}
	rng := rand.New(rand.NewSource(seed))
	accepted, refused := 0, 0
	for i := range 60 {
		pkg := fmt.Sprintf("p%d", i)
		dir := filepath.Join(root, pkg)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range hostilePackage(rng, pkg) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		model, err := gen.Load(context.Background(), gen.Config{Dir: dir, Tests: true})
		if err != nil || len(model.Types) == 0 {
			if testing.Verbose() {
				t.Logf("%s refused: %v", pkg, err)
			}
			refused++
			os.RemoveAll(dir)
			continue
		}
		files, err := templates.Render(model, templates.Options{Tests: true})
		if err != nil {
			t.Fatalf("%s: Render: %v", pkg, err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f.Name), f.Content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		accepted++
	}
	t.Logf("%d packages accepted, %d refused", accepted, refused)
	if accepted < 5 || refused < 5 {
		t.Fatalf("%d accepted, %d refused: the generator of hostile packages no longer tests both sides", accepted, refused)
	}
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet on what stategen accepted: %v\n%s", err, out)
	}
}
