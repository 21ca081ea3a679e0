package windowsattack_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/internal/testproc"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

const crashEnv = "HOSTILE7_CRASH_DIR"

func TestMain(m *testing.M) {
	testproc.RunChild(crashEnv, crashChild)
	os.Exit(m.Run())
}

var crashSpec = spec(10*time.Millisecond, 10*time.Millisecond, 2*time.Millisecond, 0)

// crashChild adds events at rising times and fires behind them, printing
// "A <at>" after each accepted Add and "F <start> <n>" for each fired window.
func crashChild(arg string) int {
	parts := strings.SplitN(arg, "|", 2)
	dir := parts[0]
	from, _ := strconv.ParseInt(parts[1], 10, 64)
	b, err := badger.Open(ctx, badger.NewConfig(dir))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	w := stateimpl.NewWindows(b, crashSpec)
	out := bufio.NewWriter(os.Stdout)
	for at := from; ; at += 37e3 {
		err := w.Add(ctx, []byte("k"), time.Unix(0, at), addN)
		if err == nil {
			fmt.Fprintf(out, "A %d\n", at)
		}
		if at%(1e6) < 37e3 {
			w.FireDue(ctx, time.Unix(0, at-3e6), func(_ []byte, win runtime.Window, v []byte) error {
				fmt.Fprintf(out, "F %d %d\n", win.Start.UnixNano(), binary.BigEndian.Uint64(v))
				return out.Flush()
			})
		}
		out.Flush()
	}
}

// Kill -9 a child adding and firing on Badger, three times, resuming each
// time from where the child last printed; every accepted event must fire
// (at least once) with its window. (Held at the time of writing.)
func TestHeldKill9Badger(t *testing.T) {
	dir := t.TempDir()
	accepted := map[int64]int{} // window start -> events
	best := map[int64]int{}     // window start -> largest count fired
	var last int64 = 1e9
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	for round := 0; round < 3; round++ {
		cmd, sc := testproc.Start(t, crashEnv, fmt.Sprintf("%s|%d", dir, last))
		done := make(chan struct{})
		go func() {
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				switch f[0] {
				case "A":
					at, _ := strconv.ParseInt(f[1], 10, 64)
					accepted[at/1e7*1e7]++
					last = at + 37e3
				case "F":
					s, _ := strconv.ParseInt(f[1], 10, 64)
					n, _ := strconv.Atoi(f[2])
					best[s] = max(best[s], n)
				}
			}
			close(done)
		}()
		time.Sleep(time.Duration(300+r.Intn(700)) * time.Millisecond)
		testproc.Kill(t, cmd)
		<-done
	}
	b, err := badger.Open(ctx, badger.NewConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	w := stateimpl.NewWindows(b, crashSpec)
	if _, err := w.FireDue(ctx, time.Unix(0, last+1e9), func(_ []byte, win runtime.Window, v []byte) error {
		s := win.Start.UnixNano()
		best[s] = max(best[s], int(binary.BigEndian.Uint64(v)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	total := 0
	for s, n := range accepted {
		total += n
		if best[s] < n {
			t.Errorf("window at %d: %d events accepted, at most %d fired", s, n, best[s])
		}
	}
	t.Logf("%d events accepted over 3 kills, %d windows", total, len(accepted))
}
