package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/statekit/statekit/backends/redis/redistest"
	_ "github.com/statekit/statekit/internal/golden"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDemo runs the demo on every backend and checks what it reports.
func TestDemo(t *testing.T) {
	for _, backend := range []string{"memory", "badger", "redis"} {
		t.Run(backend, func(t *testing.T) {
			var out bytes.Buffer
			cfg := config{events: 4000, users: 20, pages: 5, disorder: 8 * time.Second, seed: 3, backend: backend}
			if backend == "redis" {
				srv := redistest.StartServer(t)
				cfg.redis = []string{srv.Addr()}
				defer func() {
					if n, err := srv.Do("DBSIZE"); err != nil || n != "0" {
						t.Errorf("the demo left %s keys in Redis (%v)", n, err)
					}
				}()
			}
			if err := run(context.Background(), &out, cfg); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			for _, want := range []string{"4000 events", "windows fired", "top pages:", "page stats as at the checkpoint: true", "on " + backend} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
	if _, err := open(context.Background(), config{backend: "etcd"}, t.TempDir(), "x"); err == nil || !strings.Contains(err.Error(), `unknown backend "etcd"`) {
		t.Errorf("open of an unknown backend: %v", err)
	}
}
