package checkpoint_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// TestLongExpirySurvivesCheckpoint: entries expiring after 2262 (where Unix
// nanoseconds end) keep their expiry through a checkpoint of Badger and a
// restore, into Badger and into memory (which clamps to 2262: still alive).
func TestLongExpirySurvivesCheckpoint(t *testing.T) {
	ctx := context.Background()
	src := newBadger(t)
	year3000 := time.Date(3000, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := src.PutTTL(ctx, []byte("250y"), []byte("a"), 250*365*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := src.PutTTL(ctx, []byte("maxint"), []byte("b"), math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	wb := src.NewBatch()
	if err := wb.PutEntry(runtime.Entry{Key: []byte("y3000"), Value: []byte("c"), ExpiresAt: year3000}); err != nil {
		t.Fatal(err)
	}
	if err := wb.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	want := backendtest.Snapshot(t, src)
	if len(want) != 3 || !want[2].ExpiresAt.Equal(year3000) {
		t.Fatalf("source snapshot %+v: want 3 entries, y3000 expiring in 3000", want)
	}
	c, dir := newCoordinator(t, src, checkpoint.Options{Compress: true})
	info, err := c.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Entries != 3 {
		t.Fatalf("checkpoint has %d entries, want 3", info.Entries)
	}
	dst := newBadger(t)
	rc, _ := newCoordinator(t, dst, checkpoint.Options{Dir: dir})
	if _, err := rc.RestoreLatest(ctx); err != nil {
		t.Fatal(err)
	}
	backendtest.EqualEntries(t, "badger -> checkpoint -> badger", backendtest.Snapshot(t, dst), want, 0)

	mem := newMemory(t, nil)
	mc, _ := newCoordinator(t, mem, checkpoint.Options{Dir: dir})
	if _, err := mc.RestoreLatest(ctx); err != nil {
		t.Fatal(err)
	}
	if got := backendtest.Snapshot(t, mem); len(got) != 3 {
		t.Fatalf("badger -> checkpoint -> memory: %d entries, want 3: %+v", len(got), got)
	}
}

// TestCreationTimeAfter2262: a clock beyond Unix nanoseconds still stamps the
// checkpoint with its time.
func TestCreationTimeAfter2262(t *testing.T) {
	at := time.Date(2500, 6, 7, 8, 9, 10, 11, time.UTC)
	clock := runtime.NewManualClock(at)
	c, _ := newCoordinator(t, newMemory(t, nil), checkpoint.Options{Clock: clock})
	if _, err := c.CreateCheckpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	infos, err := c.List()
	if err != nil || len(infos) != 1 {
		t.Fatalf("List: %v, %v", infos, err)
	}
	if !infos[0].CreatedAt.Equal(at) {
		t.Errorf("CreatedAt %v, want %v", infos[0].CreatedAt, at)
	}
}

// withVersion rewrites the checkpoint at path with format version v, and
// recomputes its checksum when reseal is set (a file of that version, intact)
// or leaves it (damage to the version field).
func withVersion(t *testing.T, path string, v uint16, reseal bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint16(data[8:], v)
	if reseal {
		n := len(data)
		sum := sha256.Sum256(data[:n-64+24])
		copy(data[n-64+24:], sum[:])
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestNewerVersionIsUnsupportedNotCorrupt: an intact file of a newer version
// is ErrUnsupportedVersion and not ErrCorrupt; a file whose version field was
// damaged (checksum mismatch) is ErrCorrupt and not unsupported.
func TestNewerVersionIsUnsupportedNotCorrupt(t *testing.T) {
	tests := []struct {
		name            string
		version         uint16
		reseal          bool
		corrupt, unsupp bool
	}{
		{"newer, intact", 3, true, false, true},
		{"much newer, intact", math.MaxUint16, true, false, true},
		{"newer, damaged", 3, false, true, false},
		{"version 0", 0, true, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := smallCheckpoint(t, true)
			withVersion(t, path, tc.version, tc.reseal)
			_, err := checkpoint.OpenFile(path)
			if errors.Is(err, runtime.ErrCorrupt) != tc.corrupt || errors.Is(err, checkpoint.ErrUnsupportedVersion) != tc.unsupp {
				t.Fatalf("OpenFile: %v; want corrupt %v, unsupported %v", err, tc.corrupt, tc.unsupp)
			}
			if !strings.Contains(err.Error(), filepath.Base(path)) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// TestReadsVersion1: files of version 1 (expiry in Unix nanoseconds) still
// read, expiry included.
func TestReadsVersion1(t *testing.T) {
	exp := time.Date(2100, 1, 1, 0, 0, 0, 123, time.UTC)
	body := append(record("a", "1", 0), record("b", "2", uint64(exp.UnixNano()))...)
	path := craft(t, body, 2, nil)
	r, err := checkpoint.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []runtime.Entry
	for e, err := range r.Entries(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	want := []runtime.Entry{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b"), Value: []byte("2"), ExpiresAt: exp}}
	backendtest.EqualEntries(t, "version 1 entries", got, want, 0)
}

// TestHostileVersion2Expiry: expiry fields of version 2 out of range are
// corrupt, never a wrong time.
func TestHostileVersion2Expiry(t *testing.T) {
	rec := func(tag uint64, zz []byte) []byte {
		b := []byte{0, 1, 'k', 1, 'v'}
		b = binary.AppendUvarint(b, tag)
		return append(b, zz...)
	}
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"nanoseconds past a second", rec(1e9+1, binary.AppendVarint(nil, 1)), "expiry nanoseconds"},
		{"seconds past time.Time", rec(1, binary.AppendVarint(nil, math.MaxInt64)), "past the end of time.Time"},
		{"seconds missing", rec(1, nil), "expiry seconds runs past the end"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := craftVersion(t, 2, tc.body, 1, nil)
			err := readAll(path)
			if !errors.Is(err, runtime.ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrCorrupt saying %q", err, tc.want)
			}
		})
	}
}
