package backendtest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/statekit/statekit/runtime"
)

// testEntryCheck checks runtime.EntryChecker, when the backend has it, against
// the backend's own writes: CheckEntry refuses what Put refuses, with the same
// sentinel, accepts what Put accepts, and writes nothing.
func (s *suite) testEntryCheck(t *testing.T) {
	b := s.open(t)
	c, ok := b.(runtime.EntryChecker)
	if !ok {
		t.Skip("backend has no EntryChecker")
	}
	ctx := context.Background()
	cases := [][]byte{
		[]byte("plain"), {0x00}, {0xff, 0xff}, []byte("!badger!x"), []byte("!badger"),
		bytes.Repeat([]byte("k"), runtime.MaxKeySize), bytes.Repeat([]byte("k"), runtime.MaxKeySize+1), {},
	}
	for _, key := range cases {
		checked := c.CheckEntry(runtime.Entry{Key: key, Value: []byte("v")})
		if _, found, err := b.Get(ctx, key); err == nil && found {
			t.Fatalf("CheckEntry(%.20q) wrote the key", key)
		}
		put := b.Put(ctx, key, []byte("v"))
		switch {
		case (checked == nil) != (put == nil):
			t.Errorf("key %.20q: CheckEntry says %v, Put %v", key, checked, put)
		case put != nil:
			for _, sentinel := range []error{runtime.ErrInvalidKey, runtime.ErrInvalidArgument} {
				if errors.Is(put, sentinel) != errors.Is(checked, sentinel) {
					t.Errorf("key %.20q: CheckEntry's error %v and Put's %v differ on %v", key, checked, put, sentinel)
				}
			}
		}
	}
}
