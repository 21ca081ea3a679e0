package review9b

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"testing"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/internal/testproc"
	"github.com/statekit/statekit/runtime"
)

// spilledBatchChild opens Badger in args' directory, fills a batch past a
// small one's size (so it writes through Badger's WriteBatch), restores
// restoreN entries, ends the batch (commit or discard), and says "survived".
func spilledBatchChild(args string) int {
	var dir, end string
	var restoreN int
	parts := strings.Split(args, "|")
	if len(parts) != 3 {
		fmt.Println("bad args", args)
		return 2
	}
	dir, end = parts[0], parts[2]
	if _, err := fmt.Sscan(parts[1], &restoreN); err != nil {
		fmt.Println("bad count", parts[1])
		return 2
	}
	ctx := context.Background()
	b, err := badger.Open(ctx, badger.NewConfig(dir).WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		fmt.Println("open:", err)
		return 1
	}
	defer b.Close()
	w := b.NewBatch()
	for i := range 30_000 {
		if err := w.Put(fmt.Appendf(nil, "batch/%06d", i), make([]byte, 300)); err != nil {
			fmt.Println("batch put:", err)
			return 1
		}
	}
	var seq iter.Seq2[runtime.Entry, error] = func(yield func(runtime.Entry, error) bool) {
		for i := range restoreN {
			if !yield(runtime.Entry{Key: fmt.Appendf(nil, "restored/%06d", i), Value: []byte("v")}, nil) {
				return
			}
		}
	}
	fmt.Println("restore:", b.Restore(ctx, seq))
	if end == "commit" {
		fmt.Println("commit:", w.Commit(ctx))
	} else {
		w.Discard()
		fmt.Println("discarded")
	}
	if _, err := b.ListKeys(ctx, nil); err != nil {
		fmt.Println("list:", err)
	}
	fmt.Println("survived")
	return 0
}

// TestReview9bRestoreUnderSpilledBatch: a batch that has grown past a small
// one writes through Badger's WriteBatch, whose transaction holds a read
// timestamp from before. A Restore that bulk-loads (more than 4096 entries,
// Badger's StreamWriter) while such a batch is open, followed by the batch's
// Commit or Discard, kills the process: Badger's watermark asserts
// ("Name: badger.PendingReads doneUntil: 1. Index: 0") and calls log.Fatal.
// Nothing in Batch or Restore forbids the sequence; it must end in an error at
// worst. Run in a child process, since the failure exits the process. A
// Restore of 4096 entries or fewer (one WriteBatch) survives: the control.
func TestReview9bRestoreUnderSpilledBatch(t *testing.T) {
	for _, restoreN := range []int{100, 5000} {
		for _, end := range []string{"commit", "discard"} {
			t.Run(fmt.Sprintf("restore%d/%s", restoreN, end), func(t *testing.T) {
				cmd, sc := testproc.Start(t, childEnv, fmt.Sprintf("spilled|%s|%d|%s", t.TempDir(), restoreN, end))
				var said []string
				for sc.Scan() {
					said = append(said, sc.Text())
				}
				err := cmd.Wait()
				if err != nil || len(said) == 0 || said[len(said)-1] != "survived" {
					t.Fatalf("the child died (%v) after saying %q", err, said)
				}
			})
		}
	}
}
