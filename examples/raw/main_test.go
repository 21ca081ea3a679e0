package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/statekit/statekit/backends/redis/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDemo runs the demo end to end and checks what it reports.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, t.TempDir()); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		`get window:123 -> "clicks=3" (found true)`,
		`keys under window: -> ["window:123" "window:124"]`,
		"window:124 after its 50ms TTL -> found false",
		"expired entries removed: 1",
		"wrote and flushed 10000 entries",
		"window:user00000:000 = clicks=0",
		"after reopening: 100 entries under window:user000",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRedis runs the Redis part against a server of its own.
func TestRedis(t *testing.T) {
	srv := redistest.StartServer(t)
	var out bytes.Buffer
	if err := shared(context.Background(), &out, []string{srv.Addr()}); err != nil {
		t.Fatalf("shared: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		`get window:123 -> "clicks=3" (found true)`,
		`keys under window: -> ["window:123" "window:124"]`,
		"window:124 after its 50ms TTL -> found false",
		"wrote 10000 entries in one batch",
		"window:user00000:000 = clicks=0",
		"100 entries under window:user000",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if n, err := srv.Do("DBSIZE"); err != nil || n != "0" {
		t.Errorf("the example left %s keys in Redis (%v)", n, err)
	}
}
