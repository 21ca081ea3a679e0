package opsattack_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// state_demo -dir "<tmp>/my demo" ends with
//
//	Remove the demo's files with: rm -r <tmp>/my demo
//
// pasted into a shell, that removes "<tmp>/my" and "./demo" (recursively),
// not the demo's directory; the statectl line beside it lists the wrong path
// too. The paths are printed unquoted (examples/state_demo/main.go:343-344).
func TestDemoQuotesItsShellHints(t *testing.T) {
	bin := buildBin(t, "examples/state_demo")
	base := t.TempDir()
	dir := filepath.Join(base, "my demo")
	r := runBin(t, 15*time.Second, bin, "-backend", "memory", "-events", "2000", "-dir", dir)
	if r.code != 0 {
		t.Fatalf("state_demo: exit %d: %s", r.code, r.stderr)
	}
	var rmLine string
	for _, l := range strings.Split(r.stdout, "\n") {
		if i := strings.Index(l, "rm -r "); i >= 0 {
			rmLine = l[i:]
		}
	}
	if rmLine == "" {
		t.Fatalf("no rm line in:\n%s", r.stdout)
	}
	// Run what the user would paste, in a sandbox that has a "demo" of the
	// user's own in the current directory and a sibling "my".
	cwd := t.TempDir()
	if err := os.Mkdir(filepath.Join(cwd, "demo"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(cwd, "demo", "precious"), []byte("x"), 0o600)
	cmd := exec.Command("sh", "-c", rmLine)
	cmd.Dir = cwd
	cmd.Run()
	if _, err := os.Stat(filepath.Join(cwd, "demo", "precious")); err != nil {
		t.Errorf("pasting the demo's %q removed ./demo/precious in the user's current directory", rmLine)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("pasting the demo's %q left the demo's directory %q in place", rmLine, dir)
	}
}
