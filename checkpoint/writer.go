package checkpoint

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"time"

	"github.com/statekit/statekit/runtime"
)

// writeFile writes entries (skipping those expired at now) to dir/<id>.ckpt:
// to a temporary file first, synced, renamed into place, and the directory
// synced, so that a crash leaves either the whole file under its name or none.
// It streams: no buffer holds more than a block of the state's bytes. Entries
// may be borrowed (runtime.SnapshotViewer): nothing of one is read after the
// next is asked for.
func writeFile(ctx context.Context, dir, id string, created, now time.Time, compress bool, entries iter.Seq2[runtime.Entry, error]) (info Info, err error) {
	tmp, err := os.CreateTemp(dir, id+fileExt+tmpMarker+"*")
	if err != nil {
		return Info{}, fmt.Errorf("checkpoint %s: %w", id, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	out := bufio.NewWriterSize(tmp, 1<<20)
	h := sha256.New()
	head := header{compressed: compress, created: created}.encode()
	h.Write(head)
	out.Write(head)

	body, err := newBodyPipeline(out, h, compress)
	if err != nil {
		return Info{}, fmt.Errorf("checkpoint %s: zstd: %w", id, err)
	}
	count, err := encodeEntries(ctx, body, now, entries)
	if werr := body.finish(err == nil); werr != nil {
		err = werr // the root cause: encodeEntries only saw that the writer stopped
	}
	if err != nil {
		return Info{}, fmt.Errorf("checkpoint %s: %w", id, err)
	}
	t := trailer{entries: count, rawBytes: body.raw, bodyBytes: body.stored}
	h.Write(t.encodeFields())
	copy(t.sum[:], h.Sum(nil))
	out.Write(t.encode())
	if err := out.Flush(); err != nil {
		return Info{}, fmt.Errorf("checkpoint %s: %w", id, err)
	}
	if err := tmp.Sync(); err != nil {
		return Info{}, fmt.Errorf("checkpoint %s: sync: %w", id, err)
	}
	if err := tmp.Close(); err != nil {
		return Info{}, fmt.Errorf("checkpoint %s: %w", id, err)
	}
	final := filepath.Join(dir, id+fileExt)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Info{}, fmt.Errorf("checkpoint %s: %w", id, err)
	}
	if err := syncDir(dir); err != nil {
		return Info{}, fmt.Errorf("checkpoint %s: sync directory: %w", id, err)
	}
	return Info{
		ID:         id,
		CreatedAt:  created,
		Entries:    int64(count),
		SizeBytes:  int64(headerSize + body.stored + trailerSize),
		Compressed: compress,
	}, nil
}

// encodeEntries encodes the live entries into the body and returns how many.
// Keys are prefix-compressed against the previous key: a snapshot's keys are
// sorted, so neighbours share most of their bytes.
func encodeEntries(ctx context.Context, body *bodyPipeline, now time.Time, entries iter.Seq2[runtime.Entry, error]) (uint64, error) {
	var count uint64
	var prev []byte
	var scratch [binary.MaxVarintLen64]byte
	uv := func(v uint64) { body.append(binary.AppendUvarint(scratch[:0], v)...) }
	for e, err := range entries {
		if err != nil {
			return 0, fmt.Errorf("reading the backend: %w", err)
		}
		if count%4096 == 4095 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		if !e.ExpiresAt.IsZero() && !e.ExpiresAt.After(now) {
			continue // already expired: a restore would drop it anyway
		}
		shared := commonPrefixLen(prev, e.Key)
		uv(uint64(shared))
		uv(uint64(len(e.Key) - shared))
		body.append(e.Key[shared:]...)
		uv(uint64(len(e.Value)))
		body.append(e.Value...)
		if e.ExpiresAt.IsZero() {
			uv(0)
		} else { // any time.Time: seconds and nanoseconds, not Unix nanoseconds (they end in 2262)
			uv(1 + uint64(e.ExpiresAt.Nanosecond()))
			body.append(binary.AppendVarint(scratch[:0], e.ExpiresAt.Unix())...)
		}
		prev = append(prev[:0], e.Key...)
		count++
		if !body.maybeFlush() {
			return 0, errors.New("the file writer stopped")
		}
	}
	return count, nil
}

func commonPrefixLen(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// tmpMarker is in the name of every file being written; New removes those a
// crash left behind.
const tmpMarker = ".tmp-"

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, os.ErrInvalid) { // some systems cannot sync a directory
		return nil
	}
	return err
}
