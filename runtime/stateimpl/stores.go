package stateimpl

import (
	"fmt"
	"sync"

	"github.com/statekit/statekit/runtime"
)

// Helpers for generated stores.

// CorruptValue is the error for a stored value of typeName, under key, that
// does not decode: it wraps runtime.ErrCorrupt and the decoder's error. A nil
// key, not known where the value was decoded, is left out of the message.
func CorruptValue(typeName string, key []byte, err error) error {
	if key == nil {
		return fmt.Errorf("%w: %s value: %w", runtime.ErrCorrupt, typeName, err)
	}
	return fmt.Errorf("%w: %s value at key %s: %w", runtime.ErrCorrupt, typeName, runtime.AppendQuotedKey(nil, key), err)
}

// CorruptKey is the error for a key under a store's prefix that does not
// decode: it wraps runtime.ErrCorrupt (which err already does).
func CorruptKey(typeName string, key []byte, err error) error {
	return fmt.Errorf("%s key %s: %w", typeName, runtime.AppendQuotedKey(nil, key), err)
}

// BufPool recycles encode buffers. The zero value is ready to use. It hands
// out pointers, so that returning a buffer allocates nothing.
type BufPool struct{ p sync.Pool }

// Get returns an empty buffer.
func (p *BufPool) Get() *[]byte {
	if b, ok := p.p.Get().(*[]byte); ok {
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, 256)
	return &b
}

// Put returns b to the pool; buffers that grew past 64 KiB are dropped.
func (p *BufPool) Put(b *[]byte) {
	if cap(*b) <= 64<<10 {
		p.p.Put(b)
	}
}
