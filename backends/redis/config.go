package redis

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/statekit/statekit/runtime"
)

// DefaultShards is the number of index shards a new namespace gets on a
// cluster when Config.Shards is 0: enough to spread a namespace over 16
// masters. On a single server a new namespace gets 1 shard: every shard would
// live on the one server, so more would only cost ListKeys and Scan a script
// call each. See DESIGN.md.
const DefaultShards = 16

// MaxShards is the largest Config.Shards.
const MaxShards = 1024

// DefaultUpdateRetries is how many times Update retries a compare-and-set that
// lost to a concurrent write before it returns runtime.ErrConflict.
const DefaultUpdateRetries = 64

// maxNamespace bounds Config.Namespace, which every Redis key repeats.
const maxNamespace = 256

// Config configures a Backend. Only Addrs is required.
//
// The password is never logged nor put in an error: Config's String, GoString
// and LogValue methods print it as "<redacted>".
type Config struct {
	// Addrs are the Redis addresses, host:port. One address is a single server
	// (unless Cluster is set); several are seed nodes of a Redis Cluster.
	Addrs []string
	// Cluster makes a single address the seed of a Redis Cluster.
	Cluster bool
	// Username and Password authenticate (AUTH; Username for Redis ACLs).
	Username, Password string
	// DB selects the database of a single server; a cluster has only 0.
	DB int
	// Namespace starts every Redis key the backend writes, so that several
	// processors can share one Redis. It may not contain '}' (the end of a
	// Redis Cluster hash tag). Two backends with one Namespace share state.
	Namespace string
	// TLS, when set, connects with TLS.
	TLS *tls.Config

	// TTL is the default time to live of Put, Batch.Put and Update with a ttl
	// of 0; 0 means entries never expire.
	TTL time.Duration
	// Shards is the number of index shards of the namespace (see DESIGN.md):
	// 0 uses the namespace's existing count, or for a new namespace
	// DefaultShards on a cluster and 1 on a single server.
	// A count different from the one the namespace was created with is an
	// error: keys would be looked for in the wrong shards.
	Shards int
	// UpdateRetries is how many times Update retries a lost compare-and-set;
	// 0 means DefaultUpdateRetries.
	UpdateRetries int

	// PoolSize is the number of connections per Redis node (go-redis's
	// default, 10 per CPU, when 0). MinIdleConns keeps that many open;
	// MaxActiveConns, when above 0, caps connections in use or idle;
	// PoolTimeout bounds the wait for a free connection (go-redis's default
	// when 0). A ctx deadline bounds every wait as well.
	PoolSize, MinIdleConns, MaxActiveConns int
	PoolTimeout                            time.Duration
	// DialTimeout, ReadTimeout and WriteTimeout bound network operations when
	// the ctx has no earlier deadline (go-redis's defaults when 0: 5s, 3s, 3s).
	DialTimeout, ReadTimeout, WriteTimeout time.Duration

	// Logger receives the backend's few log lines (Open, script reloads);
	// slog.Default() when nil.
	Logger *slog.Logger
}

// Validate reports the first bad setting, naming it, in an error wrapping
// runtime.ErrInvalidArgument.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: redis config: %s", runtime.ErrInvalidArgument, fmt.Sprintf(format, args...))
	}
	switch {
	case len(c.Addrs) == 0:
		return bad("Addrs is empty: give one address (a server) or several (a cluster)")
	case strings.Contains(c.Namespace, "}"):
		return bad("Namespace %q contains '}', which would end the Redis Cluster hash tag", c.Namespace)
	case len(c.Namespace) > maxNamespace:
		return bad("Namespace is %d bytes, more than %d", len(c.Namespace), maxNamespace)
	case c.DB < 0:
		return bad("DB %d is negative", c.DB)
	case c.DB != 0 && c.cluster():
		return bad("DB %d on a cluster: Redis Cluster has only database 0", c.DB)
	case c.TTL < 0:
		return bad("TTL %v is negative", c.TTL)
	case c.Shards < 0 || c.Shards > MaxShards:
		return bad("Shards %d is outside 0..%d", c.Shards, MaxShards)
	case c.UpdateRetries < 0:
		return bad("UpdateRetries %d is negative", c.UpdateRetries)
	case c.PoolSize < 0 || c.MinIdleConns < 0 || c.MaxActiveConns < 0:
		return bad("PoolSize, MinIdleConns and MaxActiveConns must not be negative")
	case c.PoolTimeout < 0 || c.DialTimeout < 0 || c.ReadTimeout < 0 || c.WriteTimeout < 0:
		return bad("timeouts must not be negative")
	}
	for i, a := range c.Addrs {
		if a == "" || !strings.Contains(a, ":") {
			return bad("Addrs[%d] %q is not host:port", i, a)
		}
	}
	return nil
}

func (c Config) cluster() bool { return c.Cluster || len(c.Addrs) > 1 }

// String describes c without its password.
func (c Config) String() string {
	pw := ""
	if c.Password != "" {
		pw = " Password:<redacted>"
	}
	kind := "server"
	if c.cluster() {
		kind = "cluster"
	}
	return fmt.Sprintf("redis.Config{%s Addrs:%q Username:%q%s DB:%d Namespace:%q TLS:%v TTL:%v Shards:%d}",
		kind, c.Addrs, c.Username, pw, c.DB, c.Namespace, c.TLS != nil, c.TTL, c.Shards)
}

// GoString is String, so that %#v does not print the password either.
func (c Config) GoString() string { return c.String() }

// LogValue implements slog.LogValuer without the password.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Any("addrs", c.Addrs),
		slog.Bool("cluster", c.cluster()),
		slog.String("username", c.Username),
		slog.Bool("password_set", c.Password != ""),
		slog.Int("db", c.DB),
		slog.String("namespace", c.Namespace),
		slog.Bool("tls", c.TLS != nil),
	)
}
