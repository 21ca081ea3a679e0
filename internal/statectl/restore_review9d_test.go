package statectl

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
)

// TestReview9dRestoreRefusedKey runs `statectl restore` of a checkpoint of
// the memory backend holding, after 5000 ordinary keys (past the 4096 that
// Badger's Restore reads before it drops anything), a key Badger reserves
// ("!badger!..."), into each kind of target: a DIR that does not exist, an
// existing empty DIR, and with -force a DIR holding a database. Each must exit
// 1 with one line naming the key, and leave the target as it was: absent (no
// temporary directory beside it), empty, or holding its one key. No existing
// statectl test restores a checkpoint Badger refuses. It passed when written.
func TestReview9dRestoreRefusedKey(t *testing.T) {
	ctx := context.Background()
	mem := memory.New(memory.Options{})
	defer mem.Close()
	for i := range 5000 {
		if err := mem.Put(ctx, fmt.Appendf(nil, "a%06d", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := mem.Put(ctx, []byte("!badger!x"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	ckdir := t.TempDir()
	c, err := checkpoint.New(mem, time.Hour, checkpoint.Options{Dir: ckdir, MaxCheckpoints: 2, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(ckdir, info.ID+".ckpt")

	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) // nil: dir does not exist
		force bool
		check func(t *testing.T, dir string)
	}{
		{"new dir", nil, false, func(t *testing.T, dir string) {
			if ents, err := os.ReadDir(filepath.Dir(dir)); err != nil || len(ents) != 0 {
				t.Errorf("beside the target: %v %v", ents, err)
			}
		}},
		{"empty dir", func(t *testing.T, dir string) {
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
		}, false, func(t *testing.T, dir string) {
			db, err := badger.Open(ctx, badger.NewConfig(dir).WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			keys, err := db.ListKeys(ctx, nil)
			if err != nil || len(keys) != 0 {
				t.Errorf("the empty target holds %d keys after a refused restore (%v)", len(keys), err)
			}
		}},
		{"database -force", func(t *testing.T, dir string) {
			db, err := badger.Open(ctx, badger.NewConfig(dir).WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Put(ctx, []byte("keep"), []byte("k")); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		}, true, func(t *testing.T, dir string) {
			db, err := badger.Open(ctx, badger.NewConfig(dir).WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			keys, err := db.ListKeys(ctx, nil)
			if err != nil || len(keys) != 1 || string(keys[0]) != "keep" {
				t.Errorf("after a refused restore the target holds %d keys, want only %q (%v)", len(keys), "keep", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "db")
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			args := []string{"restore", src, "-to", "badger:" + dir, "-progress", "1h"}
			if tc.force {
				args = append(args, "-force")
			}
			var out, errb bytes.Buffer
			code := Run(ctx, args, Env{Stdout: &out, Stderr: &errb})
			if code != ExitFail || !strings.Contains(errb.String(), "!badger!x") || strings.Count(errb.String(), "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1 and one line naming the key", code, out.String(), errb.String())
			}
			tc.check(t, dir)
		})
	}
}
