package checkpoint_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/internal/testproc"
	"github.com/statekit/statekit/runtime"
)

// smallCheckpoint writes a checkpoint of 25 entries and returns its path.
func smallCheckpoint(t *testing.T, compress bool) string {
	t.Helper()
	b := newMemory(t, nil)
	fill(t, b, 25)
	c, dir := newCoordinator(t, b, checkpoint.Options{Compress: compress})
	info, err := c.CreateCheckpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, info.ID+".ckpt")
}

// read opens the checkpoint at path and reads every entry, verifying the
// whole file first if verify, and returns the first error.
func read(path string, verify bool) error {
	r, err := checkpoint.OpenFile(path)
	if err != nil {
		return err
	}
	defer r.Close()
	if verify {
		if err := r.Verify(context.Background()); err != nil {
			return err
		}
	}
	for _, err := range r.Entries(context.Background()) {
		if err != nil {
			return err
		}
	}
	return nil
}

func readAll(path string) error     { return read(path, true) }
func entriesOnly(path string) error { return read(path, false) }

// damage runs f on the bytes of a small checkpoint, uncompressed and
// compressed; write stores damaged bytes under a valid checkpoint name and
// returns that path.
func damage(t *testing.T, f func(t *testing.T, orig []byte, write func([]byte) string)) {
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprint("compress=", compress), func(t *testing.T) {
			orig, err := os.ReadFile(smallCheckpoint(t, compress))
			if err != nil {
				t.Fatal(err)
			}
			damaged := filepath.Join(t.TempDir(), "20260101T000000.000000000Z.ckpt")
			f(t, orig, func(data []byte) string {
				if err := os.WriteFile(damaged, data, 0o600); err != nil {
					t.Fatal(err)
				}
				return damaged
			})
		})
	}
}

// TestEveryBitFlipDetected flips each bit of a small checkpoint in turn: every
// one must be reported as corrupt, by OpenFile or by Verify. And reading the
// entries without Verify must end in an error too.
func TestEveryBitFlipDetected(t *testing.T) {
	damage(t, func(t *testing.T, orig []byte, write func([]byte) string) {
		for bit := range len(orig) * 8 {
			data := bytes.Clone(orig)
			data[bit/8] ^= 1 << (bit % 8)
			flipped := write(data)
			if err := readAll(flipped); !errors.Is(err, runtime.ErrCorrupt) {
				t.Fatalf("bit %d of %d flipped: got %v, want ErrCorrupt", bit, len(orig)*8, err)
			}
			if bit%97 == 0 { // Entries alone, without Verify, must also notice
				if err := entriesOnly(flipped); !errors.Is(err, runtime.ErrCorrupt) {
					t.Fatalf("bit %d flipped, Entries without Verify: got %v, want ErrCorrupt", bit, err)
				}
			}
		}
	})
}

func TestEveryTruncationDetected(t *testing.T) {
	damage(t, func(t *testing.T, orig []byte, write func([]byte) string) {
		for n := range len(orig) {
			if err := readAll(write(orig[:n])); !errors.Is(err, runtime.ErrCorrupt) {
				t.Fatalf("truncated to %d of %d bytes: got %v, want ErrCorrupt", n, len(orig), err)
			}
		}
		// Appended garbage is damage too.
		if err := readAll(write(append(bytes.Clone(orig), 0))); !errors.Is(err, runtime.ErrCorrupt) {
			t.Fatalf("a byte appended: got %v, want ErrCorrupt", err)
		}
	})
}

// TestCorruptRestoreChangesNothing: restoring a damaged checkpoint fails with
// ErrCorrupt and leaves the backend as it was; RestoreLatest falls back to the
// newest valid checkpoint and counts the skip.
func TestCorruptRestoreChangesNothing(t *testing.T) {
	ctx := context.Background()
	clock := runtime.NewManualClock(epoch)
	src := newMemory(t, clock)
	fill(t, src, 100)
	c, dir := newCoordinator(t, src, checkpoint.Options{Compress: true, Clock: clock})
	older, err := c.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Put(ctx, []byte("newer"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	newer, err := c.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, newer.ID+".ckpt")
	data, _ := os.ReadFile(path)
	data[len(data)/2] ^= 0x10 // in the body: only the checksum sees it
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	for _, b := range []runtime.Backend{newMemory(t, clock), newBadger(t)} {
		if err := b.Put(ctx, []byte("precious"), []byte("keep me")); err != nil {
			t.Fatal(err)
		}
		r, _ := newCoordinator(t, b, checkpoint.Options{Dir: dir, Clock: clock})
		if err := r.Restore(ctx, newer.ID); !errors.Is(err, runtime.ErrCorrupt) {
			t.Fatalf("%T: Restore of a corrupt checkpoint = %v, want ErrCorrupt", b, err)
		}
		keys, _ := b.ListKeys(ctx, nil)
		if len(keys) != 1 || string(keys[0]) != "precious" {
			t.Fatalf("%T: a failed restore changed the backend: %d keys", b, len(keys))
		}
		info, err := r.RestoreLatest(ctx)
		if err != nil || info.ID != older.ID {
			t.Fatalf("%T: RestoreLatest = %+v, %v; want the older checkpoint %s", b, info, err, older.ID)
		}
		if st := r.Stats(); st.CorruptSkipped != 1 || st.RestoreFailures != 2 || st.Restores != 1 {
			t.Errorf("%T: stats %+v", b, st)
		}
		if _, ok, _ := b.Get(ctx, []byte("newer")); ok {
			t.Errorf("%T: holds a key only the corrupt checkpoint had", b)
		}
	}
}

// craft writes a checkpoint file with the given raw body (uncompressed) and a
// valid checksum, so that only the records themselves are hostile. patch may
// change the trailer's fields before the checksum is computed.
func craft(t *testing.T, body []byte, entries uint64, patch func(raw, stored, count *uint64)) string {
	t.Helper()
	return craftVersion(t, 1, body, entries, patch)
}

// craftVersion is craft for a file of format version v.
func craftVersion(t *testing.T, v uint16, body []byte, entries uint64, patch func(raw, stored, count *uint64)) string {
	t.Helper()
	var buf bytes.Buffer
	head := make([]byte, 32)
	copy(head, []byte{0x89, 'S', 'K', 'C', 'K', 'P', '\r', '\n'})
	binary.LittleEndian.PutUint16(head[8:], v)
	buf.Write(head)
	buf.Write(body)
	raw, stored, count := uint64(len(body)), uint64(len(body)), entries
	if patch != nil {
		patch(&raw, &stored, &count)
	}
	fields := make([]byte, 24)
	binary.LittleEndian.PutUint64(fields[0:], count)
	binary.LittleEndian.PutUint64(fields[8:], raw)
	binary.LittleEndian.PutUint64(fields[16:], stored)
	buf.Write(fields)
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	buf.WriteString("SKCKEND\n")
	path := filepath.Join(t.TempDir(), "20260101T000000.000000000Z.ckpt")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// record encodes one record whose key shares nothing with the previous one.
func record(key, value string, exp uint64) []byte {
	b := binary.AppendUvarint([]byte{0}, uint64(len(key)))
	b = append(b, key...)
	b = binary.AppendUvarint(b, uint64(len(value)))
	b = append(b, value...)
	return binary.AppendUvarint(b, exp)
}

// TestHostileRecords: files whose checksum is right but whose records lie.
func TestHostileRecords(t *testing.T) {
	huge := binary.AppendUvarint([]byte{0, 3, 'k', 'e', 'y'}, 1<<50) // a value of 2^50 bytes
	tests := []struct {
		name    string
		body    []byte
		entries uint64
		want    string
	}{
		{"value longer than the body", huge, 1, "value of 1125899906842624 bytes"},
		{"empty key", record("", "v", 0), 1, "key length 0"},
		{"key too long", binary.AppendUvarint([]byte{0}, runtime.MaxKeySize+1), 1, "key length 65001"},
		{"shares more than the previous key has", append(record("ab", "v", 0), 3, 1, 'c', 1, 'v', 0), 2, "shares 3 bytes with a previous key of 2"},
		{"count too high", record("key", "value", 0), 2, "1 entries, the trailer says 2"},
		{"count too low", append(record("a", "v", 0), record("b", "v", 0)...), 1, "2 entries, the trailer says 1"},
		{"varint overflows", append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 0), 1, "overflows"},
		{"non-minimal varint", []byte{0x81, 0x00, 'k', 1, 'v', 0}, 1, "not minimally encoded"},
		{"record cut short", record("key", "value", 0)[:6], 1, "value of 5 bytes, but only 0 are left"},
		{"uncompressed body shorter than the trailer says", record("key", "value", 0)[:6], 1, "uncompressed body of 6 bytes claims 106 raw bytes"},
		{"more entries than the body can hold", record("k", "v", 0), 1 << 63, "trailer claims 9223372036854775808 entries in 6 raw bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var patch func(raw, stored, count *uint64)
			if strings.HasPrefix(tc.name, "uncompressed body shorter") {
				patch = func(raw, _, _ *uint64) { *raw += 100 }
			}
			path := craft(t, tc.body, tc.entries, patch)
			err := readAll(path)
			if !errors.Is(err, runtime.ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrCorrupt saying %q", err, tc.want)
			}
		})
	}
	t.Run("lying raw size does not allocate", func(t *testing.T) {
		// The trailer claims 2^60 raw bytes; the record claims a 2^40-byte
		// value; the file holds a few bytes. Reading must fail having
		// allocated about what the file holds.
		body := binary.AppendUvarint([]byte{0, 1, 'k'}, 1<<40)
		body = append(body, "short"...)
		path := craft(t, body, 1, func(raw, _, _ *uint64) { *raw = 1 << 60 })
		var before, after goruntime.MemStats
		goruntime.ReadMemStats(&before)
		err := entriesOnly(path)
		goruntime.ReadMemStats(&after)
		if !errors.Is(err, runtime.ErrCorrupt) {
			t.Fatalf("got %v, want ErrCorrupt", err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
			t.Fatalf("allocated %d MiB reading a %d-byte file", grew>>20, len(body))
		}
	})
}

// FuzzReader feeds arbitrary bytes to the reader as a checkpoint file: it must
// never panic, and every failure must wrap runtime.ErrCorrupt or, for an intact
// file of a newer format version, checkpoint.ErrUnsupportedVersion.
func FuzzReader(f *testing.F) {
	dir := f.TempDir()
	for i, compress := range []bool{false, true} {
		b := memory.New(memory.Options{})
		for j := range 5 {
			_ = b.Put(context.Background(), fmt.Appendf(nil, "key%d", j), fmt.Appendf(nil, "value%d", j))
		}
		c, err := checkpoint.New(b, time.Hour, checkpoint.Options{Dir: filepath.Join(dir, strconv.Itoa(i)), MaxCheckpoints: 1, Compress: compress, Logger: quiet})
		if err != nil {
			f.Fatal(err)
		}
		info, err := c.CreateCheckpoint(context.Background())
		if err != nil {
			f.Fatal(err)
		}
		data, _ := os.ReadFile(filepath.Join(dir, strconv.Itoa(i), info.ID+".ckpt"))
		f.Add(data)
		b.Close()
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "20260101T000000.000000000Z.ckpt")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, read := range []func(string) error{readAll, entriesOnly} {
			err := read(path)
			if err != nil && !errors.Is(err, runtime.ErrCorrupt) && !errors.Is(err, checkpoint.ErrUnsupportedVersion) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrUnsupportedVersion", err)
			}
			if errors.Is(err, runtime.ErrCorrupt) && errors.Is(err, checkpoint.ErrUnsupportedVersion) {
				t.Fatalf("error %v is both corrupt and unsupported", err)
			}
		}
	})
}

// The crash test: a child process checkpoints in a loop until the parent kills
// it with SIGKILL at a random moment. Each time, RestoreLatest in the parent
// must succeed and restore a complete checkpoint: every key of one generation.

const crashChildEnv = "STATEKIT_CHECKPOINT_CRASH_CHILD_DIR"

const crashKeys = 300

func crashChild(dir string) int {
	ctx := context.Background()
	b := memory.New(memory.Options{})
	c, err := checkpoint.New(b, time.Hour, checkpoint.Options{Dir: dir, MaxCheckpoints: 3, Compress: true, Logger: quiet})
	if err != nil {
		fmt.Println("new:", err)
		return 2
	}
	out := bufio.NewWriter(os.Stdout)
	for gen := 1; ; gen++ {
		for i := range crashKeys {
			_ = b.Put(ctx, fmt.Appendf(nil, "key%04d", i), fmt.Appendf(nil, "gen%d-%s", gen, strings.Repeat("v", i%64)))
		}
		if _, err := c.CreateCheckpoint(ctx); err != nil {
			fmt.Println("checkpoint:", err)
			return 2
		}
		fmt.Fprintln(out, "checkpoint", gen)
		out.Flush()
	}
}

func TestCrashDuringCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 7))
	ctx := context.Background()
	const kills = 50
	for round := range kills {
		cmd, sc := testproc.Start(t, crashChildEnv, dir)
		if round == 0 && !sc.Scan() { // the first child must get one checkpoint out
			t.Fatal("child wrote no checkpoint")
		}
		time.Sleep(time.Duration(rng.IntN(30_000)) * time.Microsecond)
		testproc.Kill(t, cmd)

		b := newMemory(t, nil)
		c, _ := newCoordinator(t, b, checkpoint.Options{Dir: dir, MaxCheckpoints: 3})
		info, err := c.RestoreLatest(ctx)
		if err != nil {
			t.Fatalf("kill %d: RestoreLatest: %v", round, err)
		}
		if info.Entries != crashKeys {
			t.Fatalf("kill %d: restored %d entries, want %d", round, info.Entries, crashKeys)
		}
		gen := ""
		for i := range crashKeys {
			v, ok, _ := b.Get(ctx, fmt.Appendf(nil, "key%04d", i))
			g, _, _ := strings.Cut(string(v), "-")
			if !ok || (gen != "" && g != gen) {
				t.Fatalf("kill %d: key%04d = %q, found %v: not one generation (%s)", round, i, v, ok, gen)
			}
			gen = g
		}
		if st := c.Stats(); st.CorruptSkipped != 0 {
			t.Fatalf("kill %d: a corrupt checkpoint was visible under a real name", round)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Fatalf("kill %d: New left a temporary file: %s", round, e.Name())
			}
		}
		b.Close()
	}
}
