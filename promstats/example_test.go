package promstats_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/promstats"
)

// Export a backend's and its checkpoint coordinator's statistics on
// /metrics, and scrape them once.
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

	reg := prometheus.NewRegistry()
	labels := promstats.LabelsFor(db, "orders") // name="orders", backend="memory" (from db's package)
	reg.MustRegister(
		promstats.NewBackendCollector(db, labels),
		promstats.NewCheckpointCollector(coord, labels),
	)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	_ = db.Put(ctx, []byte("a/Orders/1"), []byte("pending"))
	_, _, _ = db.Get(ctx, []byte("a/Orders/1"))
	_, _, _ = db.Get(ctx, []byte("a/Orders/2"))
	_, _ = coord.CreateCheckpoint(ctx)

	scrape := httptest.NewRecorder()
	mux.ServeHTTP(scrape, httptest.NewRequest("GET", "/metrics", nil))
	lines := bufio.NewScanner(scrape.Body)
	for lines.Scan() {
		line := lines.Text()
		for _, name := range []string{"statekit_backend_hits_total", "statekit_backend_misses_total", "statekit_checkpoints_created_total"} {
			if strings.HasPrefix(line, name+"{") {
				fmt.Println(line)
			}
		}
	}
	// Output:
	// statekit_backend_hits_total{backend="memory",name="orders"} 1
	// statekit_backend_misses_total{backend="memory",name="orders"} 1
	// statekit_checkpoints_created_total{backend="memory",name="orders"} 1
}
