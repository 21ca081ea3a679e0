package memory_test

import (
	"context"
	"testing"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cBatchDeleteAcrossRestore: the README ("Which write path") says
// a batch open across a Restore commits after it, on the restored contents
// (only a Badger batch past 4,096 writes is an exception). The memory batch
// applies a Delete at once when it holds no write before it, so that delete
// lands on the contents the Restore then replaces, and the batch's Commit
// leaves the restored key in place. Badger holds the same delete and applies
// it after the Restore: the two backends end with different contents from the
// same calls.
func TestReview9cBatchDeleteAcrossRestore(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		fill  func(w runtime.Batch) error
		gone  []string // keys the batch deletes, which the Restore brings back
		after map[string]string
	}{
		{"delete alone", func(w runtime.Batch) error { return w.Delete([]byte("a")) },
			[]string{"a"}, map[string]string{"b": "restored"}},
		{"delete then put", func(w runtime.Batch) error {
			if err := w.Delete([]byte("a")); err != nil {
				return err
			}
			return w.Put([]byte("c"), []byte("batch"))
		}, []string{"a"}, map[string]string{"b": "restored", "c": "batch"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := memory.New(memory.Options{})
			defer b.Close()
			if err := b.Put(ctx, []byte("a"), []byte("old")); err != nil {
				t.Fatal(err)
			}
			w := b.NewBatch()
			if err := tc.fill(w); err != nil {
				t.Fatal(err)
			}
			if err := b.Restore(ctx, backendtest.Entries([]runtime.Entry{
				{Key: []byte("a"), Value: []byte("restored")},
				{Key: []byte("b"), Value: []byte("restored")},
			})); err != nil {
				t.Fatal(err)
			}
			if err := w.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			for _, k := range tc.gone {
				if v, found, err := b.Get(ctx, []byte(k)); err != nil || found {
					t.Errorf("Get(%q) after the batch committed on the restored contents = %q %v %v; want deleted by the batch", k, v, found, err)
				}
			}
			for k, want := range tc.after {
				if v, found, err := b.Get(ctx, []byte(k)); err != nil || !found || string(v) != want {
					t.Errorf("Get(%q) = %q %v %v; want %q", k, v, found, err, want)
				}
			}
		})
	}
}
