package badger

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	bdb "github.com/dgraph-io/badger/v4"
)

// TestOpenAfterEmptyVlog: a process killed between Badger's creating a value
// log file and sizing it leaves an empty one, which Badger v4.9.6 refuses to
// open. Open removes it and opens the store, data intact (found by the
// crash-and-resume test of examples/state_demo).
func TestOpenAfterEmptyVlog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := Open(ctx, quietConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, []byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "000002.vlog"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := bdb.Open(quietConfig(dir).badgerOptions(slog.New(slog.DiscardHandler)))
	if err == nil {
		raw.Close()
		t.Log("Badger itself opens a directory with an empty value log now: openDB's retry may go")
	}
	if err := os.WriteFile(filepath.Join(dir, "000002.vlog"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Open(ctx, quietConfig(dir))
	if err != nil {
		t.Fatalf("Open after a crash left an empty value log: %v", err)
	}
	defer got.Close()
	if v, found, err := got.Get(ctx, []byte("k")); err != nil || !found || string(v) != "v" {
		t.Errorf("after reopening: %q, %v, %v", v, found, err)
	}
}
