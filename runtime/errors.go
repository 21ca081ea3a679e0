package runtime

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Backends wrap them in an [*Error]; test them with errors.Is.
var (
	// ErrClosed: the backend (or coordinator) was closed.
	ErrClosed = errors.New("statekit: closed")
	// ErrInvalidKey: a key is empty, longer than MaxKeySize, or does not
	// encode (a time outside the range of Unix nanoseconds).
	ErrInvalidKey = errors.New("statekit: invalid key")
	// ErrCorrupt: stored bytes, an encoded key or a checkpoint file failed to
	// decode or verify.
	ErrCorrupt = errors.New("statekit: corrupt data")
	// ErrConflict: an atomic update kept conflicting with concurrent writes
	// after all its retries, or a scan was overtaken by a Restore of the
	// backend (it fails rather than visit two contents).
	ErrConflict = errors.New("statekit: conflict")
	// ErrInvalidArgument: an option or argument is out of range (a negative
	// TTL, a size below zero, a directory that is a file).
	ErrInvalidArgument = errors.New("statekit: invalid argument")
)

// SkipAll, returned by a Scan callback, stops the scan; Scan then returns nil.
//
//lint:ignore ST1012 a signal named like fs.SkipAll, not a failure
var SkipAll = errors.New("statekit: skip all")

// Error is the error every backend operation returns: which backend, which
// operation and which key failed, and why. Err is a sentinel of this package, a
// context error, or the backend's own cause.
type Error struct {
	Op      string // the operation: "get", "put", "scan", "restore", ...
	Backend string // the backend: "memory", "badger", ...
	Key     []byte // the key involved, if any
	Err     error
}

// maxQuotedKey bounds how much of a key an error message shows.
const maxQuotedKey = 64

// Error reads like `badger put "window:123": statekit: closed`.
func (e *Error) Error() string {
	b := make([]byte, 0, 64)
	b = append(b, e.Backend...)
	b = append(b, ' ')
	b = append(b, e.Op...)
	if e.Key != nil {
		b = append(b, ' ')
		b = AppendQuotedKey(b, e.Key)
	}
	b = append(b, ": "...)
	if e.Err != nil {
		b = append(b, e.Err.Error()...)
	} else {
		b = append(b, "<nil>"...)
	}
	return string(b)
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// AppendQuotedKey appends key as a Go-quoted string, cut to its first 64 bytes
// with its full length noted, so that an error message stays readable.
func AppendQuotedKey(dst, key []byte) []byte {
	if len(key) <= maxQuotedKey {
		return strconv.AppendQuote(dst, string(key))
	}
	dst = strconv.AppendQuote(dst, string(key[:maxQuotedKey]))
	return fmt.Appendf(dst, "...(%d bytes)", len(key))
}

// NewError returns an *Error for a failed operation, or nil when err is nil. It
// copies key, which the caller may reuse.
func NewError(backend, op string, key []byte, err error) error {
	if err == nil {
		return nil
	}
	var k []byte
	if key != nil {
		k = append(make([]byte, 0, len(key)), key...)
	}
	return &Error{Op: op, Backend: backend, Key: k, Err: err}
}

// CheckKey reports whether key is a valid key: 1 to MaxKeySize bytes. The error
// wraps ErrInvalidKey and says what is wrong.
func CheckKey(key []byte) error {
	if len(key) == 0 {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	if len(key) > MaxKeySize {
		return fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidKey, len(key), MaxKeySize)
	}
	return nil
}

// ValidKey is CheckKey without the error: true for 1 to MaxKeySize bytes.
func ValidKey(key []byte) bool { return len(key) > 0 && len(key) <= MaxKeySize }
