package runtime_test

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

func ExampleUpdate() {
	ctx := context.Background()
	b := memory.New(memory.Options{})
	defer b.Close()
	incr := func(old []byte, found bool) ([]byte, bool, error) {
		n := 0
		if found {
			n, _ = strconv.Atoi(string(old))
		}
		return strconv.AppendInt(nil, int64(n+1), 10), true, nil
	}
	for range 3 {
		if err := runtime.Update(ctx, b, []byte("clicks"), incr); err != nil {
			panic(err)
		}
	}
	v, _, _ := b.Get(ctx, []byte("clicks"))
	fmt.Println(string(v))
	// Output: 3
}

func ExampleKeyReader() {
	// A key of a store of (user string, minute time.Time): prefix, then fields.
	key := []byte("w/Clicks/")
	key = runtime.AppendKeyString(key, "user\x00one") // zero bytes are escaped
	key, _ = runtime.AppendKeyTime(key, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))

	r := runtime.NewKeyReader(key)
	r.ReadPrefix([]byte("w/Clicks/"))
	user := r.ReadString()
	minute := r.ReadTime()
	if err := r.Done(); err != nil {
		panic(err)
	}
	fmt.Printf("%q %s\n", user, minute.Format(time.RFC3339))

	// A truncated key is an error wrapping ErrCorrupt, never a panic.
	r = runtime.NewKeyReader(key[:14])
	r.ReadPrefix([]byte("w/Clicks/"))
	r.ReadString()
	fmt.Println(r.Err())
	// Output:
	// "user\x00one" 2026-01-01T12:00:00Z
	// statekit: corrupt data: key field 0 (string) at byte 9: no terminator
}
