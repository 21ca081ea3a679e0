package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	_ "github.com/statekit/statekit/internal/golden"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDemo runs the demo on both backends and checks what it reports.
func TestDemo(t *testing.T) {
	for _, useBadger := range []bool{false, true} {
		var out bytes.Buffer
		cfg := config{events: 4000, users: 20, pages: 5, disorder: 8 * time.Second, seed: 3, badger: useBadger}
		if err := run(context.Background(), &out, cfg); err != nil {
			t.Fatalf("badger=%v: %v\n%s", useBadger, err, out.String())
		}
		for _, want := range []string{"4000 events", "windows fired", "top pages:", "page stats as at the checkpoint: true"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("badger=%v: output lacks %q:\n%s", useBadger, want, out.String())
			}
		}
	}
}
