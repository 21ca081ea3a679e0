package runtime_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/statekit/statekit/runtime"
)

func TestErrorMessageAndUnwrap(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
		is   error
	}{
		{"with key", runtime.NewError("badger", "put", []byte("window:123"), runtime.ErrClosed), `badger put "window:123": statekit: closed`, runtime.ErrClosed},
		{"without key", runtime.NewError("memory", "snapshot", nil, runtime.ErrCorrupt), `memory snapshot: statekit: corrupt data`, runtime.ErrCorrupt},
		{"binary key", runtime.NewError("memory", "get", []byte{0, 0xff}, runtime.ErrInvalidKey), `memory get "\x00\xff": statekit: invalid key`, runtime.ErrInvalidKey},
		{"long key", runtime.NewError("memory", "get", bytes.Repeat([]byte("k"), 100), runtime.ErrInvalidKey), `memory get "` + strings.Repeat("k", 64) + `"...(100 bytes): statekit: invalid key`, runtime.ErrInvalidKey},
		{"wrapped cause", runtime.NewError("badger", "get", []byte("k"), fmt.Errorf("disk: %w", runtime.ErrCorrupt)), `badger get "k": disk: statekit: corrupt data`, runtime.ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %s\nwant      %s", got, tc.want)
			}
			if !errors.Is(tc.err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.is)
			}
			var e *runtime.Error
			if !errors.As(tc.err, &e) || e.Backend == "" || e.Op == "" {
				t.Errorf("errors.As gave %+v", e)
			}
		})
	}
	if runtime.NewError("m", "op", nil, nil) != nil {
		t.Error("NewError with a nil cause must be nil")
	}
}

func TestNewErrorCopiesKey(t *testing.T) {
	key := []byte("abc")
	err := runtime.NewError("m", "get", key, runtime.ErrClosed)
	key[0] = 'X'
	if !strings.Contains(err.Error(), `"abc"`) {
		t.Errorf("the error changed with the caller's buffer: %v", err)
	}
}

func TestCheckKey(t *testing.T) {
	for _, tc := range []struct {
		n  int
		ok bool
	}{{0, false}, {1, true}, {runtime.MaxKeySize, true}, {runtime.MaxKeySize + 1, false}} {
		err := runtime.CheckKey(make([]byte, tc.n))
		if (err == nil) != tc.ok || runtime.ValidKey(make([]byte, tc.n)) != tc.ok {
			t.Errorf("CheckKey(%d bytes) = %v, want ok=%v", tc.n, err, tc.ok)
		}
		if err != nil && !errors.Is(err, runtime.ErrInvalidKey) {
			t.Errorf("CheckKey(%d bytes) = %v, not ErrInvalidKey", tc.n, err)
		}
	}
}

func TestStatsHitRate(t *testing.T) {
	for _, tc := range []struct {
		s    runtime.Stats
		want float64
	}{{runtime.Stats{}, 0}, {runtime.Stats{GetCount: 4, HitCount: 3}, 0.75}, {runtime.Stats{GetCount: 2, HitCount: 2}, 1}} {
		if got := tc.s.HitRate(); got != tc.want {
			t.Errorf("%+v.HitRate() = %v, want %v", tc.s, got, tc.want)
		}
	}
}
