package memory_test

import (
	"context"
	"testing"

	"github.com/statekit/statekit/backends/memory"
)

// TestBatchDeleteOrder: a batch's deletes apply at once while it holds no
// write, and in order after one: each key ends as its last write says.
func TestBatchDeleteOrder(t *testing.T) {
	ctx := context.Background()
	b := open(t, memory.Options{})
	for _, k := range []string{"a", "b", "c"} {
		if err := b.Put(ctx, []byte(k), []byte("old")); err != nil {
			t.Fatal(err)
		}
	}
	w := b.NewBatch()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Delete([]byte("a"))) // nothing held: applied now
	if _, ok, _ := b.Get(ctx, []byte("a")); ok {
		t.Fatal("a delete with nothing held before it was not applied at once")
	}
	must(w.Put([]byte("b"), []byte("new")))
	must(w.Delete([]byte("b"))) // after a held put of b: held, applied after it
	must(w.Delete([]byte("c")))
	must(w.Put([]byte("c"), []byte("again")))
	if v, ok, _ := b.Get(ctx, []byte("b")); !ok || string(v) != "old" {
		t.Fatalf("b = %q, %v before Commit; want the old value", v, ok)
	}
	must(w.Commit(ctx))
	for k, want := range map[string]string{"a": "", "b": "", "c": "again"} {
		v, ok, _ := b.Get(ctx, []byte(k))
		if want == "" && ok || want != "" && string(v) != want {
			t.Errorf("%s = %q, %v; want %q", k, v, ok, want)
		}
	}
	if err := b.NewBatch().Delete(nil); err == nil {
		t.Error("an empty key was deleted")
	}
}
