package checkpoint

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"iter"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/statekit/statekit/runtime"
)

// Reader reads one checkpoint file, without a Coordinator: for tools, tests and
// restores. OpenFile reads only the header and the trailer, so Info is cheap;
// Verify checks the whole file; Entries streams its entries.
//
// Every problem with the file is an error wrapping runtime.ErrCorrupt that
// names the file and says what is wrong, except two: a file written in a newer
// format version than this reader knows, intact, is an error wrapping
// ErrUnsupportedVersion (and not ErrCorrupt: nothing is wrong with it), and an
// I/O error is the I/O error.
type Reader struct {
	f    *os.File
	path string
	info Info
	h    header
	t    trailer
}

// OpenFile opens the checkpoint at path and checks what it can without reading
// the body: the header, the trailer, and that the file's size matches them. So
// a truncated file fails here. A path that is not a regular file (a FIFO, a
// device, a directory) is refused before it is opened: opening a FIFO would
// wait for a writer forever.
func OpenFile(path string) (*Reader, error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("checkpoint %s: %w: not a regular file (%v)", path, runtime.ErrInvalidArgument, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	r, err := newReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func newReader(f *os.File, path string) (*Reader, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	size := fi.Size()
	if size < headerSize+trailerSize {
		return nil, fmt.Errorf("checkpoint %s: %w", path, corrupt("%d bytes: shorter than a header and a trailer (%d)", size, headerSize+trailerSize))
	}
	buf := make([]byte, headerSize)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	h, err := decodeHeader(buf)
	if errors.Is(err, ErrUnsupportedVersion) && !intact(f, size) {
		// Every version keeps the trailer and its checksum (FORMAT.md), so a
		// newer file is intact: this one is damaged, its version included.
		err = corrupt("header: format version %d, and the file's checksum does not match: damaged", binary.LittleEndian.Uint16(buf[8:]))
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	buf = make([]byte, trailerSize)
	if _, err := f.ReadAt(buf, size-trailerSize); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	t, err := decodeTrailer(buf)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if want := uint64(size - headerSize - trailerSize); t.bodyBytes != want {
		return nil, fmt.Errorf("checkpoint %s: %w", path, corrupt("trailer says the body has %d bytes, the file has room for %d: truncated or damaged", t.bodyBytes, want))
	}
	if t.entries > t.rawBytes/minRecordSize {
		return nil, fmt.Errorf("checkpoint %s: %w", path, corrupt("trailer claims %d entries in %d raw bytes: a record takes at least %d", t.entries, t.rawBytes, minRecordSize))
	}
	if !h.compressed && t.rawBytes != t.bodyBytes {
		return nil, fmt.Errorf("checkpoint %s: %w", path, corrupt("uncompressed body of %d bytes claims %d raw bytes", t.bodyBytes, t.rawBytes))
	}
	id := strings.TrimSuffix(filepath.Base(path), fileExt)
	return &Reader{
		f: f, path: path, h: h, t: t,
		info: Info{ID: id, CreatedAt: h.created, Entries: int64(t.entries), SizeBytes: size, Compressed: h.compressed},
	}, nil
}

// fileStatus is what examine makes of a file.
type fileStatus int

const (
	fileValid       fileStatus = iota // passes OpenFile's checks
	fileUnsupported                   // an intact file of a newer format version
	fileDamaged                       // this format (its magic), damaged
	fileForeign                       // not a statekit checkpoint (no magic)
	fileUnreadable                    // an I/O error: may be transient
)

// examine classifies the file at path with OpenFile's cheap checks, and says
// why when it is not valid.
func examine(path string) (fileStatus, error) {
	r, err := OpenFile(path)
	switch {
	case err == nil:
		r.Close()
		return fileValid, nil
	case errors.Is(err, ErrUnsupportedVersion):
		return fileUnsupported, err
	case !errors.Is(err, runtime.ErrCorrupt):
		return fileUnreadable, err
	}
	f, ferr := os.Open(path)
	if ferr != nil {
		return fileUnreadable, ferr
	}
	defer f.Close()
	head := make([]byte, len(magic))
	if _, ferr := io.ReadFull(f, head); ferr != nil && !errors.Is(ferr, io.EOF) && !errors.Is(ferr, io.ErrUnexpectedEOF) {
		return fileUnreadable, ferr
	}
	if !bytes.Equal(head, magic[:]) {
		return fileForeign, err
	}
	return fileDamaged, err
}

// minRecordSize is the smallest record: four one-byte varints (shared, rest,
// value length, expiry 0), the key wholly shared with the previous one.
const minRecordSize = 4

// intact reports whether the file of the given size ends with a trailer whose
// SHA-256 matches the rest: what every format version keeps, so that a file of
// a newer version can be told from a damaged one without understanding it.
func intact(f *os.File, size int64) bool {
	buf := make([]byte, trailerSize)
	if _, err := f.ReadAt(buf, size-trailerSize); err != nil || !bytes.Equal(buf[56:], endMagic[:]) {
		return false
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size-trailerSize+sumOffset)); err != nil {
		return false
	}
	return bytes.Equal(h.Sum(nil), buf[sumOffset:sumOffset+32])
}

// Info returns the checkpoint's metadata, as its header and trailer state it.
// Until Verify succeeds it is unverified.
func (r *Reader) Info() Info { return r.info }

// Close closes the file.
func (r *Reader) Close() error { return r.f.Close() }

func (r *Reader) fail(err error) error { return fmt.Errorf("checkpoint %s: %w", r.path, err) }

// Verify reads the whole file and checks its SHA-256. It does not decompress.
func (r *Reader) Verify(ctx context.Context) error {
	h := sha256.New()
	sec := io.NewSectionReader(r.f, 0, headerSize+int64(r.t.bodyBytes))
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return r.fail(err)
		}
		n, err := sec.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return r.fail(err)
		}
	}
	return r.checkSum(h)
}

func (r *Reader) checkSum(h hash.Hash) error {
	h.Write(r.t.encodeFields())
	if got := h.Sum(nil); !bytes.Equal(got, r.t.sum[:]) {
		return r.fail(corrupt("SHA-256 mismatch: the file is damaged"))
	}
	return nil
}

// hashReader hashes what is read through it.
type hashReader struct {
	r io.Reader
	h hash.Hash
}

// Read reads from the underlying reader and hashes what it read.
func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

// Maximum memory a zstd decoder may use, whatever a (possibly hostile) frame
// header asks for. The writer's frames need far less.
const maxDecoderMemory = 256 << 20

// Entries yields the checkpoint's entries in file order, which is the
// backend's snapshot order. Keys and values are copies the caller owns. The
// whole file is checksummed as it is read, and the sequence ends with an error
// if the checksum, the entry count or the sizes do not match; so a consumer that
// has not called Verify first sees the damage only at the end.
//
// A goroutine decodes ahead of the consumer, a few thousand entries at a time,
// so that decompressing and parsing overlap with what the consumer does with
// the entries. It ends before the sequence returns, however the loop ends.
func (r *Reader) Entries(ctx context.Context) iter.Seq2[runtime.Entry, error] {
	return r.entries(ctx, false)
}

// entries is Entries; with reuse, an entry's bytes are valid only until the
// next entry is yielded, and the decoder recycles its buffers instead of
// allocating new ones (for a consumer that copies, such as a backend's Restore).
func (r *Reader) entries(ctx context.Context, reuse bool) iter.Seq2[runtime.Entry, error] {
	return func(yield func(runtime.Entry, error) bool) {
		batches := make(chan entryBatch, 4)
		var free chan []byte                 // slabs the consumer is done with
		var freeBatches chan []runtime.Entry // and batches
		if reuse {
			free = make(chan []byte, 8)
			freeBatches = make(chan []runtime.Entry, 6)
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer close(batches)
			r.decodeAll(ctx, batches, free, freeBatches, stop)
		}()
		defer func() {
			close(stop)
			for range batches { // unblock the decoder if it is sending
			}
			<-done
		}()
		for b := range batches {
			for _, e := range b.entries {
				if !yield(e, nil) {
					return
				}
			}
			if b.err != nil {
				yield(runtime.Entry{}, b.err)
				return
			}
			for _, slab := range b.slabs {
				select {
				case free <- slab: // nil channel without reuse: never taken
				default:
				}
			}
			select {
			case freeBatches <- b.entries[:0]: // nil channel without reuse: never taken
			default:
			}
		}
	}
}

// entryBatch is a run of decoded entries, or the error that ended decoding,
// with the slabs holding the entries' bytes.
type entryBatch struct {
	entries []runtime.Entry
	slabs   [][]byte
	err     error
}

const batchEntries = 4096

// decodeAll decodes the body into batches until it ends, fails, or stop closes.
// With free and freeBatches non-nil, it takes slabs and batches from them
// before allocating.
func (r *Reader) decodeAll(ctx context.Context, out chan<- entryBatch, free <-chan []byte, freeBatches <-chan []runtime.Entry, stop <-chan struct{}) {
	send := func(b entryBatch) bool {
		select {
		case out <- b:
			return true
		case <-stop:
			return false
		}
	}
	fail := func(err error) { send(entryBatch{err: r.fail(err)}) }

	h := sha256.New()
	hr := &hashReader{r: io.NewSectionReader(r.f, 0, headerSize+int64(r.t.bodyBytes)), h: h}
	if _, err := io.ReadFull(hr, make([]byte, headerSize)); err != nil {
		fail(err)
		return
	}
	var body io.Reader = hr
	if r.h.compressed {
		zr, err := zstd.NewReader(hr, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxDecoderMemory), zstd.WithDecoderMaxWindow(maxDecoderMemory))
		if err != nil {
			fail(err)
			return
		}
		defer zr.Close()
		body = zr
	}
	d := &decoder{br: bufio.NewReaderSize(body, 256<<10), left: r.t.rawBytes, free: free, version: r.h.version}
	batch := make([]runtime.Entry, 0, batchEntries)
	for n := uint64(0); ; n++ {
		if n%batchEntries == batchEntries-1 {
			if err := ctx.Err(); err != nil {
				fail(err)
				return
			}
		}
		e, ok, err := d.next()
		if err != nil {
			fail(fmt.Errorf("entry %d: %w", n, err))
			return
		}
		if !ok {
			if n != r.t.entries {
				fail(corrupt("%d entries, the trailer says %d", n, r.t.entries))
				return
			}
			break
		}
		if batch = append(batch, e); len(batch) == batchEntries {
			if !send(entryBatch{entries: batch, slabs: d.takeSlabs()}) {
				return
			}
			select {
			case batch = <-freeBatches: // nil channel: never ready
			default:
				batch = make([]runtime.Entry, 0, batchEntries)
			}
		}
	}
	// Read what is left of the stored body, so that the checksum covers it all.
	if _, err := io.Copy(io.Discard, hr); err != nil {
		fail(err)
		return
	}
	send(entryBatch{entries: batch, err: r.checkSum(h)})
}

// decoder reads records from the raw body, at most left bytes of it.
type decoder struct {
	br    *bufio.Reader
	left  uint64 // raw bytes the trailer says remain
	slab  []byte
	slabs [][]byte      // full slabs of the current batch
	free  <-chan []byte // recycled slabs, or nil
	prev  []byte        // the previous key: each record shares a prefix with it

	version uint16 // the file's format version
}

// takeSlabs hands over the slabs of the batch just completed; the slab being
// filled starts the next batch.
func (d *decoder) takeSlabs() [][]byte {
	s := d.slabs
	d.slabs = nil
	return s
}

// next returns the next record, or ok=false at the clean end of the body.
func (d *decoder) next() (runtime.Entry, bool, error) {
	if d.left == 0 {
		if _, err := d.br.ReadByte(); err != io.EOF {
			return runtime.Entry{}, false, corrupt("data after the last record")
		}
		return runtime.Entry{}, false, nil
	}
	shared, err := d.uvarint("shared key prefix")
	if err != nil {
		return runtime.Entry{}, false, err
	}
	if shared > uint64(len(d.prev)) {
		return runtime.Entry{}, false, corrupt("key shares %d bytes with a previous key of %d", shared, len(d.prev))
	}
	rest, err := d.uvarint("key length")
	if err != nil {
		return runtime.Entry{}, false, err
	}
	klen := shared + rest
	if klen == 0 || klen > runtime.MaxKeySize {
		return runtime.Entry{}, false, corrupt("key length %d: want 1..%d", klen, runtime.MaxKeySize)
	}
	if rest > d.left {
		return runtime.Entry{}, false, corrupt("key of %d bytes, but only %d are left", rest, d.left)
	}
	key := d.alloc(int(klen))
	copy(key, d.prev[:shared])
	if _, err := io.ReadFull(d.br, key[shared:]); err != nil {
		return runtime.Entry{}, false, corrupt("key of %d bytes: %v", klen, truncated(err))
	}
	d.left -= rest
	d.prev = key
	vlen, err := d.uvarint("value length")
	if err != nil {
		return runtime.Entry{}, false, err
	}
	value, err := d.bytes("value", vlen)
	if err != nil {
		return runtime.Entry{}, false, err
	}
	e := runtime.Entry{Key: key, Value: value}
	if e.ExpiresAt, err = d.expiry(); err != nil {
		return runtime.Entry{}, false, err
	}
	return e, true, nil
}

// expiry reads a record's expiry time; the zero time is never.
func (d *decoder) expiry() (time.Time, error) {
	tag, err := d.uvarint("expiry")
	if err != nil || tag == 0 {
		return time.Time{}, err
	}
	if d.version == version1 { // Unix nanoseconds
		if tag > math.MaxInt64 {
			return time.Time{}, corrupt("expiry %d overflows Unix nanoseconds", tag)
		}
		return time.Unix(0, int64(tag)), nil
	}
	if tag > 1e9 {
		return time.Time{}, corrupt("expiry nanoseconds %d: want 1+(0..999999999)", tag)
	}
	zz, err := d.uvarint("expiry seconds")
	if err != nil {
		return time.Time{}, err
	}
	sec := int64(zz>>1) ^ -int64(zz&1) // zig-zag, as binary.Varint
	if sec > maxUnixSeconds {
		return time.Time{}, corrupt("expiry %d s past the end of time.Time", sec)
	}
	return time.Unix(sec, int64(tag-1)), nil
}

// uvarint reads a minimal unsigned varint, counting its bytes against what is
// left of the body.
func (d *decoder) uvarint(what string) (uint64, error) {
	var v uint64
	for i := range binary.MaxVarintLen64 {
		if uint64(i) >= d.left {
			return 0, corrupt("%s runs past the end of the body", what)
		}
		c, err := d.br.ReadByte()
		if err != nil {
			return 0, corrupt("%s: %v", what, truncated(err))
		}
		if i == binary.MaxVarintLen64-1 && c > 1 {
			return 0, corrupt("%s overflows 64 bits", what)
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if c == 0 && i > 0 {
				return 0, corrupt("%s is not minimally encoded", what)
			}
			d.left -= uint64(i + 1)
			return v, nil
		}
	}
	return 0, corrupt("%s overflows 64 bits", what)
}

// bytes reads n bytes into a copy the caller owns. A length is checked against
// the bytes the trailer says are left, and anything large is read as it
// arrives, so a hostile length cannot make it allocate more than the input.
func (d *decoder) bytes(what string, n uint64) ([]byte, error) {
	if n > d.left {
		return nil, corrupt("%s of %d bytes, but only %d are left", what, n, d.left)
	}
	d.left -= n
	if n > 1<<20 {
		var buf bytes.Buffer
		if _, err := io.CopyN(&buf, d.br, int64(n)); err != nil {
			return nil, corrupt("%s of %d bytes: %v", what, n, truncated(err))
		}
		return buf.Bytes(), nil
	}
	b := d.alloc(int(n))
	if _, err := io.ReadFull(d.br, b); err != nil {
		return nil, corrupt("%s of %d bytes: %v", what, n, truncated(err))
	}
	return b, nil
}

// alloc carves n bytes (n <= 1 MiB) from the decoder's slab, capped at n.
func (d *decoder) alloc(n int) []byte {
	if cap(d.slab)-len(d.slab) < n {
		if d.slab != nil {
			d.slabs = append(d.slabs, d.slab)
		}
		d.slab = nil
		select {
		case s := <-d.free: // nil channel: never ready
			if cap(s) >= n {
				d.slab = s[:0]
			}
		default:
		}
		if d.slab == nil {
			d.slab = make([]byte, 0, max(n, 256<<10))
		}
	}
	start := len(d.slab)
	d.slab = d.slab[:start+n]
	return d.slab[start:len(d.slab):len(d.slab)]
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the body ends early")
	}
	return err
}
