package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/statekit/statekit/runtime"
)

// The file format, version 1 (FORMAT.md has the full description):
//
//	header  32 bytes  magic, version, flags, creation time
//	body    records (uvarint length of the prefix shared with the previous
//	        key, uvarint length of the rest, the rest of the key, uvarint value
//	        length, value, uvarint expiry in Unix nanoseconds or 0);
//	        if compressed, a series of independent zstd frames
//	trailer 64 bytes  entries, raw and stored body sizes, SHA-256 of all that
//	                  precedes the checksum, end magic
const (
	headerSize  = 32
	trailerSize = 64
	version     = 1

	flagCompressed = 1 << 0
	knownFlags     = flagCompressed

	// sumOffset is where the checksum starts in the trailer: it covers the
	// header, the body, and the trailer up to here.
	sumOffset = 24
)

var (
	magic    = [8]byte{0x89, 'S', 'K', 'C', 'K', 'P', '\r', '\n'} // like PNG's: catches text-mode mangling
	endMagic = [8]byte{'S', 'K', 'C', 'K', 'E', 'N', 'D', '\n'}
)

// header is the fixed start of a checkpoint file.
type header struct {
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
	binary.LittleEndian.PutUint64(b[16:], uint64(h.created.UnixNano()))
	return b
}

func decodeHeader(b []byte) (header, error) {
	if len(b) < headerSize {
		return header{}, corrupt("header: %d bytes, want %d", len(b), headerSize)
	}
	if !bytes.Equal(b[:8], magic[:]) {
		return header{}, corrupt("header: bad magic % x: not a statekit checkpoint", b[:8])
	}
	if v := binary.LittleEndian.Uint16(b[8:]); v != version {
		return header{}, fmt.Errorf("%w: header: format version %d, this reader knows %d: %w (%w)", runtime.ErrCorrupt, v, version, ErrUnsupportedVersion, errors.ErrUnsupported)
	}
	flags := binary.LittleEndian.Uint16(b[10:])
	if flags&^knownFlags != 0 {
		return header{}, corrupt("header: unknown flags %#04x", flags)
	}
	if !allZero(b[12:16]) || !allZero(b[24:32]) {
		return header{}, corrupt("header: reserved bytes are not zero")
	}
	return header{
		compressed: flags&flagCompressed != 0,
		created:    time.Unix(0, int64(binary.LittleEndian.Uint64(b[16:]))).UTC(),
	}, nil
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
