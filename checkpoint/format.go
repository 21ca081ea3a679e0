package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/statekit/statekit/runtime"
)

// The file format, version 2 (FORMAT.md has the full description):
//
//	header  32 bytes  magic, version, flags, creation time (Unix seconds and
//	                  nanoseconds; version 1: Unix nanoseconds)
//	body    records (uvarint length of the prefix shared with the previous
//	        key, uvarint length of the rest, the rest of the key, uvarint value
//	        length, value, expiry: uvarint 0 for never, else uvarint 1+nanosecond
//	        and zig-zag varint Unix seconds; version 1: uvarint Unix
//	        nanoseconds or 0);
//	        if compressed, a series of independent zstd frames
//	trailer 64 bytes  entries, raw and stored body sizes, SHA-256 of all that
//	                  precedes the checksum, end magic
//
// Version 1 kept times as Unix nanoseconds, which end in 2262: an entry
// expiring later (a long TTL on Badger) was lost. Readers read both versions;
// writers write version 2.
const (
	headerSize  = 32
	trailerSize = 64
	version     = 2 // what writers write
	version1    = 1 // still read

	flagCompressed = 1 << 0
	knownFlags     = flagCompressed

	// sumOffset is where the checksum starts in the trailer: it covers the
	// header, the body, and the trailer up to here.
	sumOffset = 24

	// maxUnixSeconds is the latest Unix second a time.Time can hold;
	// time.Unix overflows beyond it.
	maxUnixSeconds = math.MaxInt64 - 62135596800
)

var (
	magic    = [8]byte{0x89, 'S', 'K', 'C', 'K', 'P', '\r', '\n'} // like PNG's: catches text-mode mangling
	endMagic = [8]byte{'S', 'K', 'C', 'K', 'E', 'N', 'D', '\n'}
)

// header is the fixed start of a checkpoint file.
type header struct {
	version    uint16
	compressed bool
	created    time.Time
}

func (h header) encode() []byte {
	b := make([]byte, headerSize)
	copy(b, magic[:])
	binary.LittleEndian.PutUint16(b[8:], version)
	var flags uint16
	if h.compressed {
		flags |= flagCompressed
	}
	binary.LittleEndian.PutUint16(b[10:], flags)
	binary.LittleEndian.PutUint32(b[12:], uint32(h.created.Nanosecond()))
	binary.LittleEndian.PutUint64(b[16:], uint64(h.created.Unix()))
	return b
}

func decodeHeader(b []byte) (header, error) {
	if len(b) < headerSize {
		return header{}, corrupt("header: %d bytes, want %d", len(b), headerSize)
	}
	if !bytes.Equal(b[:8], magic[:]) {
		return header{}, corrupt("header: bad magic % x: not a statekit checkpoint", b[:8])
	}
	v := binary.LittleEndian.Uint16(b[8:])
	switch {
	case v == 0:
		return header{}, corrupt("header: format version 0")
	case v > version:
		// A newer statekit wrote it: not damage, and not to be deleted.
		return header{}, fmt.Errorf("header: format version %d, this reader knows %d and older: %w (%w)", v, version, ErrUnsupportedVersion, errors.ErrUnsupported)
	}
	flags := binary.LittleEndian.Uint16(b[10:])
	if flags&^knownFlags != 0 {
		return header{}, corrupt("header: unknown flags %#04x", flags)
	}
	h := header{version: v, compressed: flags&flagCompressed != 0}
	if v == version1 {
		if !allZero(b[12:16]) || !allZero(b[24:32]) {
			return header{}, corrupt("header: reserved bytes are not zero")
		}
		h.created = time.Unix(0, int64(binary.LittleEndian.Uint64(b[16:]))).UTC()
		return h, nil
	}
	if !allZero(b[24:32]) {
		return header{}, corrupt("header: reserved bytes are not zero")
	}
	nsec, sec := binary.LittleEndian.Uint32(b[12:]), int64(binary.LittleEndian.Uint64(b[16:]))
	if nsec >= 1e9 {
		return header{}, corrupt("header: creation time has %d nanoseconds", nsec)
	}
	if sec > maxUnixSeconds {
		return header{}, corrupt("header: creation time %d s past the end of time.Time", sec)
	}
	h.created = time.Unix(sec, int64(nsec)).UTC()
	return h, nil
}

// trailer is the fixed end of a checkpoint file.
type trailer struct {
	entries   uint64
	rawBytes  uint64 // body size before compression
	bodyBytes uint64 // body size as stored
	sum       [32]byte
}

// encodeFields is the part of the trailer the checksum covers.
func (t trailer) encodeFields() []byte {
	b := make([]byte, sumOffset, trailerSize)
	binary.LittleEndian.PutUint64(b[0:], t.entries)
	binary.LittleEndian.PutUint64(b[8:], t.rawBytes)
	binary.LittleEndian.PutUint64(b[16:], t.bodyBytes)
	return b
}

func (t trailer) encode() []byte {
	b := t.encodeFields()
	b = append(b, t.sum[:]...)
	return append(b, endMagic[:]...)
}

func decodeTrailer(b []byte) (trailer, error) {
	if len(b) != trailerSize {
		return trailer{}, corrupt("trailer: %d bytes, want %d", len(b), trailerSize)
	}
	if !bytes.Equal(b[56:], endMagic[:]) {
		return trailer{}, corrupt("trailer: bad end magic % x: the file is truncated or damaged", b[56:])
	}
	t := trailer{
		entries:   binary.LittleEndian.Uint64(b[0:]),
		rawBytes:  binary.LittleEndian.Uint64(b[8:]),
		bodyBytes: binary.LittleEndian.Uint64(b[16:]),
	}
	copy(t.sum[:], b[sumOffset:sumOffset+32])
	return t, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", runtime.ErrCorrupt, fmt.Sprintf(format, args...))
}

// IDs are the UTC creation time with nanoseconds, fixed width, so that they sort
// by creation; the Coordinator makes them strictly increasing.
const idLayout = "20060102T150405.000000000Z"

var idPattern = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}\.[0-9]{9}Z$`)

const fileExt = ".ckpt"

func formatID(t time.Time) string { return t.UTC().Format(idLayout) }

// parseID checks that id is a checkpoint ID and returns its time.
func parseID(id string) (time.Time, error) {
	if !idPattern.MatchString(id) {
		return time.Time{}, fmt.Errorf("%w: checkpoint ID %q: want the form 20260102T150405.000000000Z", runtime.ErrInvalidArgument, id)
	}
	t, err := time.Parse(idLayout, id)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: checkpoint ID %q: %v", runtime.ErrInvalidArgument, id, err)
	}
	return t, nil
}
