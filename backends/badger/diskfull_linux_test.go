//go:build linux

package badger_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	bdb "github.com/dgraph-io/badger/v4"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/internal/testproc"
	"github.com/statekit/statekit/runtime"
)

// The full-disk test runs Badger in a child process on a small tmpfs: a
// SIGBUS there kills the child, not the test.

const diskFullEnv = "STATEKIT_BADGER_DISKFULL_CHILD"

const (
	tmpfsSize   = 64 << 20
	fillerSize  = 8 << 20
	testReserve = 8 << 20
	valueSize   = 16 << 10
)

// runDiskFullChild runs diskFullChild in a child process started by runChild.
func runDiskFullChild() { testproc.RunChild(diskFullEnv, diskFullChild) }

func diskKey(i int) []byte { return fmt.Appendf(nil, "key%08d", i) }

// diskFullChild writes into "mode:dir" until the disk is full: mode "guarded"
// through the backend, mode "raw" through Badger itself.
func diskFullChild(arg string) int {
	mode, dir, _ := strings.Cut(arg, ":")
	ctx := context.Background()
	if mode == "raw" {
		db, err := bdb.Open(bdb.DefaultOptions(dir).WithLogger(nil))
		if err != nil {
			fmt.Println("open:", err)
			return 2
		}
		for i := 0; ; i++ {
			if err := db.Update(func(txn *bdb.Txn) error { return txn.Set(diskKey(i), randomValue()) }); err != nil {
				fmt.Println("raw error:", err)
				db.Close()
				return 0
			}
		}
	}
	b, err := badger.Open(ctx, badger.NewConfig(dir).WithDiskReserve(testReserve).WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		fmt.Println("open:", err)
		return 2
	}
	var acked int
	switch mode {
	case "put":
		acked, err = fillPut(ctx, b, 0, 1)
	case "concurrent": // 8 writers on interleaved keys; acked: the shortest run
		var wg sync.WaitGroup
		counts, errs := make([]int, 8), make([]error, 8)
		for g := range 8 {
			wg.Go(func() { counts[g], errs[g] = fillPut(ctx, b, g, 8) })
		}
		wg.Wait()
		acked, err = slices.Min(counts), errors.Join(errs...)
		for g := range 8 { // every writer's acknowledged keys
			for i := range counts[g] {
				fmt.Printf("key %d\n", g+8*i)
			}
		}
	case "update":
		for ; err == nil; acked++ {
			err = b.Update(ctx, diskKey(acked), 0, func([]byte, bool) ([]byte, bool, error) { return randomValue(), true, nil })
		}
		acked--
	case "batch": // batches of 16 writes: acked counts committed batches' writes
		for err == nil {
			wb := b.NewBatch()
			for i := range 16 {
				if err = wb.Put(diskKey(acked+i), randomValue()); err != nil {
					break
				}
			}
			if err == nil {
				err = wb.Commit(ctx)
			} else {
				wb.Discard()
			}
			if err == nil {
				acked += 16
			}
		}
	case "restore": // a restore larger than the disk fails; nothing is acknowledged
		err = b.Restore(ctx, func(yield func(runtime.Entry, error) bool) {
			for i := 0; ; i++ {
				if !yield(runtime.Entry{Key: diskKey(i), Value: randomValue()}, nil) {
					return
				}
			}
		})
		acked = 1 // key 0 is deleted below; nothing else is checked
	}
	if !errors.Is(err, badger.ErrDiskFull) || !errors.Is(err, syscall.ENOSPC) {
		fmt.Println("not ErrDiskFull:", err)
		return 2
	}
	fmt.Printf("acked %d\n", acked)
	fmt.Println("error:", firstLine(err.Error()))
	if err := b.Delete(ctx, diskKey(0)); err != nil { // a full store can still be pruned
		fmt.Println("delete:", err)
		return 2
	}
	if err := b.Flush(ctx); err != nil {
		fmt.Println("flush:", err)
		return 2
	}
	if err := b.Close(); err != nil {
		fmt.Println("close:", err)
		return 2
	}
	fmt.Println("closed")
	return 0
}

// fillPut puts keys start, start+step, ... until an error, and returns how
// many it wrote.
func fillPut(ctx context.Context, b *badger.Backend, start, step int) (int, error) {
	for i := 0; ; i++ {
		if err := b.Put(ctx, diskKey(start+step*i), randomValue()); err != nil {
			return i, err
		}
	}
}

// randomValue is an incompressible value.
func randomValue() []byte {
	v := make([]byte, valueSize)
	rand.Read(v)
	return v
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// mountTmpfs mounts a tmpfs of size bytes in a new directory, or skips.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs to fill needs root: skipped (run as root to test a full disk for real)")
	}
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): skipped", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			_ = syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

func runChild(t *testing.T, arg string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), diskFullEnv+"="+arg)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestRawBadgerDiesOnFullDisk is the control: on this tmpfs, Badger itself
// is killed by SIGBUS when the disk fills, so the guarded test below tests
// the real failure.
func TestRawBadgerDiesOnFullDisk(t *testing.T) {
	mnt := mountTmpfs(t, tmpfsSize)
	out, err := runChild(t, "raw:"+filepath.Join(mnt, "store"))
	// The Go runtime turns the SIGBUS into "fatal error: fault", exit status 2.
	if err == nil || !strings.Contains(out, "signal SIGBUS") {
		t.Fatalf("raw Badger on a full tmpfs: %v, output ending %q; want death by SIGBUS (the failure the guard exists for)", err, lastLine(out))
	}
	t.Logf("raw Badger: %v, %s", err, strings.SplitN(out[strings.Index(out, "[signal SIGBUS"):], "\n", 2)[0])
}

// TestFullDiskIsAnError: the backend turns a full disk into ErrDiskFull, on
// every write path and under concurrent writers, keeps everything it
// acknowledged, can still delete, closes cleanly, and opens and writes again
// once space is freed.
func TestFullDiskIsAnError(t *testing.T) {
	for _, mode := range []string{"put", "concurrent", "update", "batch", "restore"} {
		t.Run(mode, func(t *testing.T) {
			mnt := mountTmpfs(t, tmpfsSize)
			filler := filepath.Join(mnt, "filler")
			if err := os.WriteFile(filler, make([]byte, fillerSize), 0o600); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(mnt, "store")
			out, err := runChild(t, mode+":"+dir)
			if err != nil {
				t.Fatalf("child writing into a full disk: %v\n%s", err, out)
			}
			acked := -1
			var keys []int
			for line := range strings.Lines(out) {
				line = strings.TrimSpace(line)
				if n, ok := strings.CutPrefix(line, "acked "); ok {
					acked, _ = strconv.Atoi(n)
				}
				if n, ok := strings.CutPrefix(line, "key "); ok {
					k, _ := strconv.Atoi(n)
					keys = append(keys, k)
				}
			}
			if acked < 1 || !strings.Contains(out, "closed") {
				t.Fatalf("child output:\n%s\nwant writes acknowledged, then a clean close", out)
			}
			if keys == nil {
				for i := 1; i < acked; i++ {
					keys = append(keys, i)
				}
			}
			t.Logf("%d writes of %d KiB acknowledged before the guard: %s", len(keys), valueSize>>10, lastLine(strings.Split(out, "closed")[0]))

			ctx := context.Background()
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			b := open(t, badger.NewConfig(dir).WithDiskReserve(testReserve))
			for _, i := range keys {
				if i == 0 {
					continue
				}
				v, ok, err := b.Get(ctx, diskKey(i))
				if err != nil || !ok || len(v) != valueSize {
					t.Fatalf("%s after the disk filled: %d bytes, %v, %v", diskKey(i), len(v), ok, err)
				}
			}
			if _, ok, _ := b.Get(ctx, diskKey(0)); ok {
				t.Error("the delete made on the full disk was lost")
			}
			for i := range 100 { // the filler's space is free again
				if err := b.Put(ctx, fmt.Appendf(nil, "after%d", i), make([]byte, valueSize)); err != nil {
					t.Fatalf("write after space was freed: %v", err)
				}
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestOpenRefusesFullDisk: a filesystem with less than half the reserve free
// is an error at Open, before Badger maps a file into it.
func TestOpenRefusesFullDisk(t *testing.T) {
	mnt := mountTmpfs(t, 4<<20)
	_, err := badger.Open(context.Background(), badger.NewConfig(filepath.Join(mnt, "store")).WithDiskReserve(16<<20).WithLogger(quiet(t)))
	if !errors.Is(err, badger.ErrDiskFull) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Open on a 4 MiB filesystem with a 16 MiB reserve: %v, want ErrDiskFull", err)
	}
	b := open(t, badger.NewConfig(filepath.Join(mnt, "store")).WithDiskReserve(1<<20))
	if err := b.Put(context.Background(), []byte("k"), []byte("v")); err != nil {
		t.Fatalf("Put with a reserve that fits: %v", err)
	}
}
