package gen_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statekit/statekit/templates"
)

// TestVersionGuard compiles the golden output of agg_basic as if stategen
// had written it for the version before and the version after this one: the
// file must fail at the guard line whose comment names the stale side, and a
// file of generator version 1 at its own legacy guard.
func TestVersionGuard(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "agg_basic", "types_state.go.golden"))
	if err != nil {
		t.Fatal(err)
	}
	source, err := os.ReadFile(filepath.Join("testdata", "agg_basic", "types.go"))
	if err != nil {
		t.Fatal(err)
	}
	v := templates.GenVersion
	tests := []struct {
		name, old, new, comment string
	}{
		{"file older than the module",
			fmt.Sprintf("EnforceVersion(%d - stateimpl.MinGenVersion)", v),
			fmt.Sprintf("EnforceVersion(%d - stateimpl.MinGenVersion)", v-1),
			"this file is older than the statekit module; run go generate"},
		{"module older than the file",
			fmt.Sprintf("EnforceVersion(stateimpl.MaxGenVersion - %d)", v),
			fmt.Sprintf("EnforceVersion(stateimpl.MaxGenVersion - %d)", v+1),
			"go get github.com/statekit/statekit@latest"},
		{"a file of generator version 1",
			fmt.Sprintf("stateimpl.EnforceVersion(%d - stateimpl.MinGenVersion)", v),
			"runtime.EnforceVersion(1 - runtime.MinGenVersion)",
			""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := string(golden)
			if !strings.Contains(src, tc.old) {
				t.Fatalf("the golden output has no %q", tc.old)
			}
			src = strings.Replace(src, tc.old, tc.new, 1)
			root := t.TempDir()
			writeModule(t, root, "example.com/guard", repo)
			for name, content := range map[string]string{"types.go": string(source), "types_state.go": src} {
				if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("go", "build", ".")
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatal("the stale file compiled")
			}
			lines := strings.Split(src, "\n")
			guard := -1
			for i, l := range lines {
				if strings.Contains(l, tc.new) {
					guard = i + 1
				}
			}
			// The first error is at the guard, and the line above it says why.
			first := strings.SplitN(strings.TrimSpace(strings.TrimPrefix(string(out), "# example.com/guard\n")), "\n", 2)[0]
			if want := fmt.Sprintf("types_state.go:%d:", guard); !strings.HasPrefix(first, "./"+want) && !strings.HasPrefix(first, want) {
				t.Fatalf("first error %q, want one at the guard, line %d\n%s", first, guard, out)
			}
			if tc.comment != "" && !strings.Contains(lines[guard-2], tc.comment) {
				t.Errorf("the line above the guard is %q, want it to say %q", lines[guard-2], tc.comment)
			}
		})
	}
}
