package windowsattack_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/internal/testproc"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

const batchCrashEnv = "REVIEW9_BATCH_CRASH"

// init, not TestMain (crash_test.go has it): a child started by
// TestKill9BetweenCallbacksAndCommit runs batchCrashChild instead of tests.
func init() { testproc.RunChild(batchCrashEnv, batchCrashChild) }

var batchCrashSpec = spec(time.Second, time.Second, 0, 0)

func idAdd(id uint64) runtime.UpdateFunc {
	return func(old []byte, _ bool) ([]byte, bool, error) {
		return binary.BigEndian.AppendUint64(append([]byte(nil), old...), id), true, nil
	}
}

// batchCrashChild adds n windows (one event each, "A id" after each accepted
// Add), then fires them, printing "F id" per event fired, and kills itself
// with SIGKILL inside the callback number killAt: after the callbacks of the
// chunk so far, before the chunk's batch of deletes commits.
func batchCrashChild(arg string) int {
	var dir string
	var n, killAt int
	if _, err := fmt.Sscanf(strings.ReplaceAll(arg, "|", " "), "%s %d %d", &dir, &n, &killAt); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	b, err := badger.Open(ctx, badger.NewConfig(dir))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	w := stateimpl.NewWindows(b, batchCrashSpec)
	out := bufio.NewWriter(os.Stdout)
	for i := range n {
		if err := w.Add(ctx, fmt.Appendf(nil, "k%05d", i), time.Unix(0, 0), idAdd(uint64(i))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Fprintf(out, "A %d\n", i)
	}
	out.Flush()
	calls := 0
	_, err = w.FireDue(ctx, time.Unix(1, 0), func(_ []byte, _ runtime.Window, v []byte) error {
		for ; len(v) >= 8; v = v[8:] {
			fmt.Fprintf(out, "F %d\n", binary.BigEndian.Uint64(v))
		}
		out.Flush()
		if calls++; calls == killAt {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		return nil
	})
	fmt.Fprintln(os.Stderr, "FireDue returned", err)
	return 3
}

// TestKill9BetweenCallbacksAndCommit: kill -9 after some callbacks of a
// chunk, before its batched deletes commit. After a reopen, every accepted
// event fires at least once; only the windows of the chunk the kill cut fire
// twice (at most one chunk's worth); the chunks committed before it do not.
func TestKill9BetweenCallbacksAndCommit(t *testing.T) {
	for _, tc := range []struct{ n, killAt, maxAgain int }{
		{600, 300, 300},  // inside the first chunk of 512
		{1200, 700, 188}, // inside the second: the first committed
	} {
		t.Run(fmt.Sprintf("%d windows, killed at %d", tc.n, tc.killAt), func(t *testing.T) {
			dir := t.TempDir()
			cmd, sc := testproc.Start(t, batchCrashEnv, fmt.Sprintf("%s|%d|%d", dir, tc.n, tc.killAt))
			accepted, firings := map[uint64]bool{}, map[uint64]int{}
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				id, _ := strconv.ParseUint(f[1], 10, 64)
				switch f[0] {
				case "A":
					accepted[id] = true
				case "F":
					firings[id]++
				}
			}
			if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
				t.Fatalf("child: %v; want it killed", err)
			}
			if len(accepted) != tc.n || len(firings) != tc.killAt {
				t.Fatalf("child accepted %d, fired %d before the kill; want %d, %d", len(accepted), len(firings), tc.n, tc.killAt)
			}
			b, err := badger.Open(ctx, badger.NewConfig(dir))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			w := stateimpl.NewWindows(b, batchCrashSpec)
			if _, err := w.FireDue(ctx, time.Unix(1, 0), func(_ []byte, _ runtime.Window, v []byte) error {
				for ; len(v) >= 8; v = v[8:] {
					firings[binary.BigEndian.Uint64(v)]++
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			again := 0
			for id := range accepted {
				switch n := firings[id]; {
				case n == 0:
					t.Errorf("event %d accepted, never fired", id)
				case n > 2:
					t.Errorf("event %d fired %d times", id, n)
				case n == 2:
					again++
				}
			}
			if again > tc.maxAgain {
				t.Errorf("%d events fired twice; want at most the %d of the chunk the kill cut", again, tc.maxAgain)
			}
			left, err := b.ListKeys(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 1 {
				t.Errorf("%d keys left; want only the watermark", len(left))
			}
			t.Logf("%d accepted, %d fired again after the kill", len(accepted), again)
		})
	}
}
