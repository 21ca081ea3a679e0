package badger_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/statekit/statekit/backends/badger"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "statekit-example-*")
	defer os.RemoveAll(dir)

	cfg := badger.NewConfig(dir).
		WithCompression(true).
		WithTTL(24 * time.Hour).
		WithLogger(slog.New(slog.DiscardHandler))
	db, err := badger.Open(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = db.Put(ctx, []byte("window:123"), []byte("clicks=3"))
	_ = db.Flush(ctx) // durable from here on
	_ = db.Close()

	db, _ = badger.Open(ctx, cfg) // reopened: the data is still there
	defer db.Close()
	v, ok, _ := db.Get(ctx, []byte("window:123"))
	fmt.Printf("%s %v\n", v, ok)
	// Output: clicks=3 true
}

func ExampleConfig_Validate() {
	err := badger.NewConfig("").Validate()
	fmt.Println(err)
	// Output: badger config: directory "": statekit: invalid argument: no directory given (use WithInMemory(true) for a store without one)
}
