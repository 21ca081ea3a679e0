package bad

import "context"

// Get and AppendKey duplicate methods stategen declares; Sum does not.
func (s *TotalsStore) Get(ctx context.Context, id string) (int64, error) { return 0, nil }

func (s *TotalsStore) Sum(ctx context.Context) int64 { return 0 }

func (k TotalsKey) AppendKey(dst []byte) []byte { return dst }
