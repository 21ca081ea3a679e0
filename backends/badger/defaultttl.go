package badger

import "time"

// DefaultTTL returns the TTL set by WithTTL, the TTL of writes given none
// (see runtime.DefaultTTLer); 0 means they never expire.
func (b *Backend) DefaultTTL() time.Duration { return b.cfg.ttl }
