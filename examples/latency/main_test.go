package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/statekit/statekit/backends/redis/redistest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	_ "github.com/statekit/statekit/internal/golden"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// want aggregates the stream with a plain map, one call after another: the
// model the store's merge ops must match.
func want(stream []Call) map[ModelLatencyKey]ModelLatency {
	agg := make(map[ModelLatencyKey]ModelLatency)
	for _, c := range stream {
		r := record(c)
		k := ModelLatencyKey{Tenant: c.Tenant, Model: c.Model}
		v, ok := agg[k]
		if !ok {
			r.Calls = 1
			agg[k] = r
			continue
		}
		v.Calls++
		v.TotalMs += r.TotalMs
		v.BestMs = min(v.BestMs, r.BestMs)
		v.WorstMs = max(v.WorstMs, r.WorstMs)
		v.Tokens += r.Tokens
		v.Errors += r.Errors
		v.LastCall, v.LastStatus = r.LastCall, r.LastStatus // first: FirstCall stays
		agg[k] = v
	}
	return agg
}

// TestAggregates merges a stream with one and with several workers, on both
// backends, and compares every field of every aggregate with the plain model.
func TestAggregates(t *testing.T) {
	stream := calls(20_000, 7)
	expected := want(stream)
	for _, backend := range []string{"memory", "badger", "redis"} {
		for _, workers := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/%d", backend, workers), func(t *testing.T) {
				ctx := context.Background()
				cfg := config{backend: backend}
				if backend == "redis" {
					cfg.redis = []string{redistest.StartServer(t).Addr()}
				}
				b, err := open(ctx, cfg, filepath.Join(t.TempDir(), "db"))
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				store := NewModelLatencyStore(b)
				if err := aggregate(ctx, store, stream, workers); err != nil {
					t.Fatal(err)
				}
				got := make(map[ModelLatencyKey]ModelLatency)
				var order []ModelLatencyKey
				for v, err := range store.All(ctx) {
					if err != nil {
						t.Fatal(err)
					}
					got[v.StateKey()] = v
					order = append(order, v.StateKey())
				}
				if diff := cmp.Diff(expected, got); diff != "" {
					t.Errorf("aggregates (-model +store):\n%s", diff)
				}
				for i := 1; i < len(order); i++ {
					a, b := order[i-1], order[i]
					if a.Tenant > b.Tenant || a.Tenant == b.Tenant && a.Model >= b.Model {
						t.Errorf("scan order: %v before %v", a, b)
					}
				}
			})
		}
	}
}

// TestRun checks the printed table.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, config{calls: 5000, workers: 3, backend: "memory", seed: 2}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.Contains(lines[0], "5000 calls merged by 3 workers") {
		t.Errorf("first line: %q", lines[0])
	}
	var rows int
	for _, l := range lines {
		if strings.Contains(l, "acme") || strings.Contains(l, "globex") || strings.Contains(l, "initech") ||
			strings.Contains(l, "umbrella") || strings.Contains(l, "wayne") {
			rows++
		}
	}
	if rows != len(tenants)*len(models) || !strings.Contains(out.String(), "MEAN ms") {
		t.Errorf("%d rows, want %d:\n%s", rows, len(tenants)*len(models), out.String())
	}
}

// TestBadConfig checks that bad flags are refused with an error naming them.
func TestBadConfig(t *testing.T) {
	tests := []struct {
		cfg  config
		want string
	}{
		{config{calls: 10, workers: 1, backend: "cassandra"}, `-backend "cassandra"`},
		{config{calls: 10, workers: 0, backend: "memory"}, "-workers 0"},
		{config{calls: -1, workers: 1, backend: "memory"}, "-calls -1"},
	}
	for _, tt := range tests {
		if err := run(context.Background(), &bytes.Buffer{}, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want an error with %q", tt.cfg, err, tt.want)
		}
	}
}
