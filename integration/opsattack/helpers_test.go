// Operability attacked by a hostile review (statectl, promstats, the demo):
// each test was a defect and is kept as its regression test.
package opsattack_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binary builds ./cmd/<name> (or ./examples/<name>) once per test run.
func buildBin(t *testing.T, pkg string) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "hostile11-bin")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	out := filepath.Join(binDir, filepath.Base(pkg))
	if _, err := os.Stat(out); err == nil {
		return out
	}
	cmd := exec.Command("go", "build", "-o", out, "github.com/statekit/statekit/"+pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	return out
}

type result struct {
	stdout, stderr string
	code           int
	timedOut       bool
}

func runBin(t *testing.T, timeout time.Duration, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.timedOut = true
		r.code = -1
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return r
}

func statectl(t *testing.T, args ...string) result {
	t.Helper()
	return runBin(t, 10*time.Second, buildBin(t, "cmd/statectl"), args...)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// makeCheckpoint writes a checkpoint of what fill put into a memory backend.
func makeCheckpoint(t *testing.T, dir string, compress bool, fill func(ctx context.Context, b *memory.Backend)) string {
	t.Helper()
	b := memory.New(memory.Options{})
	defer b.Close()
	fill(context.Background(), b)
	c, err := checkpoint.New(b, time.Hour, checkpoint.Options{Dir: dir, MaxCheckpoints: 100, Compress: compress, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.CreateCheckpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, info.ID+".ckpt")
}

func put(t *testing.T, b runtime.Backend, k, v []byte) {
	t.Helper()
	if err := b.Put(context.Background(), k, v); err != nil {
		t.Fatal(err)
	}
}

func simple(n int) func(ctx context.Context, b *memory.Backend) {
	return func(ctx context.Context, b *memory.Backend) {
		for i := range n {
			b.Put(ctx, []byte(fmt.Sprintf("k/%06d", i)), []byte(fmt.Sprintf("value-%d", i)))
		}
	}
}
