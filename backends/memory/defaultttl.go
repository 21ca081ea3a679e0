package memory

import "time"

// DefaultTTL returns Options.TTL, the TTL of writes given none (see
// runtime.DefaultTTLer); 0 means they never expire.
func (b *Backend) DefaultTTL() time.Duration { return b.ttl }
