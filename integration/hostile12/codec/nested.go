package codec

import "context"

// Nested merges with its own method, which may panic or call a store from
// inside the merge, as user code can.
//
//statekit:aggregate
type Nested struct {
	Key  string `statekit:"key"`
	Sum  int64
	Boom bool
}

// NestedHook, when set, is called by Nested.Merge with the incoming value.
// Tests set it; it is nil otherwise.
var NestedHook func(ctx context.Context, in Nested)

// Merge adds other.Sum, panics if other.Boom, and calls NestedHook.
func (n Nested) Merge(other Nested) Nested {
	if other.Boom {
		panic("boom: " + other.Key)
	}
	if NestedHook != nil {
		NestedHook(context.Background(), other)
	}
	n.Sum += other.Sum
	return n
}
