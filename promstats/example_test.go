package promstats_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/promstats"
)

// Export a backend's and its checkpoint coordinator's statistics. In a real
// program the registry is served with promhttp.HandlerFor(reg, ...).
func Example() {
	ctx := context.Background()
	db := memory.New(memory.Options{})
	defer db.Close()
	dir, _ := os.MkdirTemp("", "promstats-example")
	defer os.RemoveAll(dir)
	coord, err := checkpoint.New(db, 5*time.Minute, checkpoint.Options{Dir: dir, MaxCheckpoints: 3, Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}

	labels := promstats.LabelsFor(db, "orders") // name="orders", backend="memory"
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		promstats.NewBackendCollector(db, labels),
		promstats.NewCheckpointCollector(coord, labels),
	)

	_ = db.Put(ctx, []byte("a/Orders/1"), []byte("pending"))
	_, _, _ = db.Get(ctx, []byte("a/Orders/1"))
	_, _, _ = db.Get(ctx, []byte("a/Orders/2"))
	_, _ = coord.CreateCheckpoint(ctx)

	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		switch mf.GetName() {
		case "statekit_backend_hits_total", "statekit_backend_misses_total", "statekit_checkpoints_created_total":
			_, _ = expfmt.MetricFamilyToText(os.Stdout, mf)
		}
	}
	// Output:
	// # HELP statekit_backend_hits_total Gets that found their key.
	// # TYPE statekit_backend_hits_total counter
	// statekit_backend_hits_total{backend="memory",name="orders"} 1
	// # HELP statekit_backend_misses_total Gets that did not find their key.
	// # TYPE statekit_backend_misses_total counter
	// statekit_backend_misses_total{backend="memory",name="orders"} 1
	// # HELP statekit_checkpoints_created_total Checkpoints written successfully.
	// # TYPE statekit_checkpoints_created_total counter
	// statekit_checkpoints_created_total{backend="memory",name="orders"} 1
}
