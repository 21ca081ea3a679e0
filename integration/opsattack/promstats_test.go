package opsattack_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/promstats"
)

// The checkpoint directory vanishes (an unmounted volume, a cleanup job):
// checkpoints now fail, and that is what the README's StatekitCheckpointFailing
// alert is for. But with the README's handler the whole scrape fails with
// HTTP 500, so statekit_checkpoint_failures_total, the last-success timestamp
// and every backend metric disappear; both checkpoint alerts go silent at
// exactly the moment they should fire.
func TestScrapeSurvivesAVanishedCheckpointDir(t *testing.T) {
	ctx := context.Background()
	db := memory.New(memory.Options{})
	defer db.Close()
	dir := filepath.Join(t.TempDir(), "ckpt")
	coord, err := checkpoint.New(db, time.Hour, checkpoint.Options{Dir: dir, MaxCheckpoints: 3, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	labels := promstats.LabelsFor(db, "orders")
	reg.MustRegister(promstats.NewBackendCollector(db, labels), promstats.NewCheckpointCollector(coord, labels))
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{}) // as the README shows

	db.Put(ctx, []byte("a/x"), []byte("1"))
	if _, err := coord.CreateCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := coord.CreateCheckpoint(ctx); err == nil {
		t.Fatal("precondition: a checkpoint into a vanished dir succeeded")
	}
	if coord.Stats().CheckpointFailures == 0 {
		t.Fatal("precondition: failure not counted")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "statekit_checkpoint_failures_total{") {
		t.Errorf("scrape after the checkpoint dir vanished: HTTP %d; the failure counter the alert needs is not exported:\n%.400s", rec.Code, body)
	}
}

// Badger's Stats reads hits before gets and derives misses = gets - hits. A
// scrape that lands between a Get's gets.Add and its hits.Add reports
// misses that never happened, and the next scrape reports fewer:
// statekit_backend_misses_total goes backwards, though every Get hit.
func TestBadgerMissesNeverGoBackwards(t *testing.T) {
	ctx := context.Background()
	db, err := badger.Open(ctx, badger.NewConfig(t.TempDir()).WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Put(ctx, []byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(promstats.NewBackendCollector(db, promstats.Labels{Name: "x"}))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, found, err := db.Get(ctx, []byte("k")); err != nil || !found {
					t.Error("get", found, err)
					return
				}
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	var prev, maxSeen float64
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var misses float64
		for _, mf := range mfs {
			if mf.GetName() == "statekit_backend_misses_total" {
				misses = mf.Metric[0].GetCounter().GetValue()
			}
		}
		maxSeen = max(maxSeen, misses)
		if misses < prev {
			t.Fatalf("statekit_backend_misses_total went backwards: %v, then %v (every Get hit: the true value is 0)", prev, misses)
		}
		prev = misses
	}
	if maxSeen > 0 {
		t.Errorf("statekit_backend_misses_total reached %v though every Get hit", maxSeen)
	}
}
