package redis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/backends/redis/redistest"
	"github.com/statekit/statekit/runtime"
)

func TestConfigValidate(t *testing.T) {
	ok := redis.Config{Addrs: []string{"127.0.0.1:6379"}}
	tests := []struct {
		name string
		edit func(*redis.Config)
		want string // in the error; "" for a valid config
	}{
		{"minimal", func(*redis.Config) {}, ""},
		{"no addrs", func(c *redis.Config) { c.Addrs = nil }, "Addrs is empty"},
		{"addr without port", func(c *redis.Config) { c.Addrs = []string{"localhost"} }, `Addrs[0] "localhost"`},
		{"empty addr", func(c *redis.Config) { c.Addrs = []string{"a:1", ""} }, "Addrs[1]"},
		{"brace in namespace", func(c *redis.Config) { c.Namespace = "a}b" }, "contains '}'"},
		{"long namespace", func(c *redis.Config) { c.Namespace = strings.Repeat("n", 257) }, "Namespace is 257 bytes"},
		{"negative DB", func(c *redis.Config) { c.DB = -1 }, "DB -1"},
		{"DB on a cluster", func(c *redis.Config) { c.DB = 2; c.Cluster = true }, "only database 0"},
		{"DB on several addrs", func(c *redis.Config) { c.DB = 2; c.Addrs = []string{"a:1", "b:2"} }, "only database 0"},
		{"negative TTL", func(c *redis.Config) { c.TTL = -time.Second }, "TTL -1s"},
		{"too many shards", func(c *redis.Config) { c.Shards = redis.MaxShards + 1 }, "Shards 1025"},
		{"negative shards", func(c *redis.Config) { c.Shards = -1 }, "Shards -1"},
		{"negative retries", func(c *redis.Config) { c.UpdateRetries = -1 }, "UpdateRetries"},
		{"negative pool", func(c *redis.Config) { c.PoolSize = -1 }, "PoolSize"},
		{"negative timeout", func(c *redis.Config) { c.ReadTimeout = -1 }, "timeouts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			c.Addrs = append([]string(nil), ok.Addrs...)
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, runtime.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want ErrInvalidArgument mentioning %q", err, tc.want)
			}
			_, err = redis.Open(context.Background(), c)
			if !errors.Is(err, runtime.ErrInvalidArgument) {
				t.Fatalf("Open = %v, want ErrInvalidArgument", err)
			}
		})
	}
}

const secret = "s3cr3t-Pa55word"

// TestPasswordNeverShown checks every way a Config or an Open failure is
// printed or logged.
func TestPasswordNeverShown(t *testing.T) {
	srv := redistest.StartServer(t, "--requirepass", secret)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := redis.Config{Addrs: []string{srv.Addr()}, Password: secret, Logger: logger, Namespace: "pw"}

	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg), fmt.Sprint(&cfg)} {
		if strings.Contains(s, secret) {
			t.Errorf("printed config shows the password: %s", s)
		}
	}
	logger.Info("config", "cfg", cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := redis.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open with the right password: %v", err)
	}
	if err := b.Put(ctx, []byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	_ = b.Close()

	tests := []struct {
		name string
		cfg  redis.Config
		want string
	}{
		{"wrong password", redis.Config{Addrs: []string{srv.Addr()}, Password: secret + "x", Logger: logger}, "authentication failed"},
		{"no password", redis.Config{Addrs: []string{srv.Addr()}, Logger: logger}, "authentication failed"},
		{"wrong user", redis.Config{Addrs: []string{srv.Addr()}, Username: "nobody", Password: secret, Logger: logger}, "authentication failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := redis.Open(ctx, tc.cfg)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			var re *runtime.Error
			if !errors.As(err, &re) || re.Op != "open" || re.Backend != "redis" {
				t.Errorf("error %v is not a redis open *runtime.Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), srv.Addr()) {
				t.Errorf("error %q should say %q and name the address", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("logs show the password:\n%s", logs.String())
	}
}

func TestOpenUnreachable(t *testing.T) {
	redistest.Require(t)
	srv := redistest.StartServer(t)
	addr := srv.Addr()
	srv.Stop() // a port nothing listens on
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := redis.Open(ctx, redis.Config{Addrs: []string{addr}})
	if err == nil || !strings.Contains(err.Error(), "cannot reach Redis") || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Open of a closed port = %v, want 'cannot reach Redis' naming %s", err, addr)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Open took %v to fail", d)
	}

	// A server that accepts and never answers: the ctx's deadline wins over
	// the read timeout.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	short, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	start = time.Now()
	_, err = redis.Open(short, redis.Config{Addrs: []string{l.Addr().String()}, ReadTimeout: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Open of a silent server with an expiring ctx = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Open took %v with a 100ms deadline", d)
	}
}

func TestNamespaceLayout(t *testing.T) {
	srv := redistest.StartServer(t)
	ctx := context.Background()
	addrs := []string{srv.Addr()}

	a := open(t, redis.Config{Addrs: addrs, Namespace: "app:one", Shards: 4})
	if a.Shards() != 4 {
		t.Fatalf("Shards() = %d, want 4", a.Shards())
	}
	if err := a.Put(ctx, []byte("k"), []byte("one")); err != nil {
		t.Fatal(err)
	}
	// Shards 0 adopts the namespace's count; another count is refused.
	same := open(t, redis.Config{Addrs: addrs, Namespace: "app:one"})
	if same.Shards() != 4 {
		t.Fatalf("reopened with Shards 0: %d shards, want the namespace's 4", same.Shards())
	}
	if v, ok, err := same.Get(ctx, []byte("k")); err != nil || !ok || string(v) != "one" {
		t.Fatalf("Get through a second backend = %q, %v, %v", v, ok, err)
	}
	_, err := redis.Open(ctx, redis.Config{Addrs: addrs, Namespace: "app:one", Shards: 8})
	if !errors.Is(err, runtime.ErrInvalidArgument) || !strings.Contains(err.Error(), "created with 4") {
		t.Fatalf("Open with another shard count = %v, want ErrInvalidArgument", err)
	}
	// Namespaces do not see each other, even when one is a prefix of another.
	for _, ns := range []string{"app", "app:one:0", "app:on", ""} {
		other := open(t, redis.Config{Addrs: addrs, Namespace: ns, Shards: 4})
		if keys, err := other.ListKeys(ctx, nil); err != nil || len(keys) != 0 {
			t.Errorf("namespace %q sees %q, %v", ns, keys, err)
		}
		if _, ok, _ := other.Get(ctx, []byte("k")); ok {
			t.Errorf("namespace %q sees app:one's key", ns)
		}
	}
	// A namespace written by another layout version is refused.
	if err := a.Client().HSet(ctx, "{app:one:meta}", "format", "99").Err(); err != nil {
		t.Fatal(err)
	}
	_, err = redis.Open(ctx, redis.Config{Addrs: addrs, Namespace: "app:one"})
	if !errors.Is(err, runtime.ErrCorrupt) || !strings.Contains(err.Error(), `"99"`) {
		t.Fatalf("Open of a format 99 namespace = %v, want ErrCorrupt", err)
	}
}

func TestDB(t *testing.T) {
	srv := redistest.StartServer(t)
	ctx := context.Background()
	b0 := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: "db"})
	b3 := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: "db", DB: 3})
	if err := b3.Put(ctx, []byte("k"), []byte("3")); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := b0.Get(ctx, []byte("k")); ok {
		t.Error("DB 0 sees DB 3's key")
	}
	if n, err := b3.Client().DBSize(ctx).Result(); err != nil || n == 0 {
		t.Errorf("DBSIZE of DB 3 = %d, %v", n, err)
	}
}

func TestDrop(t *testing.T) {
	srv := redistest.StartServer(t)
	ctx := context.Background()
	keep := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: "keep"})
	if err := keep.Put(ctx, []byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	before, err := keep.Client().DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	b := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: "drop", Shards: 3})
	w := b.NewBatch()
	for i := range 5000 {
		ttl := time.Duration(0)
		if i%2 == 0 {
			ttl = time.Hour
		}
		if err := w.PutEntry(runtime.Entry{Key: fmt.Appendf(nil, "k%05d", i), Value: []byte("v"), ExpiresAt: expiry(ttl)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Drop(ctx); err != nil {
		t.Fatalf("Drop: %v", err)
	}
	if n, err := keep.Client().DBSize(ctx).Result(); err != nil || n != before {
		t.Fatalf("after Drop: %d keys in Redis, want the %d of the other namespace (%v)", n, before, err)
	}
	if v, ok, err := keep.Get(ctx, []byte("k")); err != nil || !ok || string(v) != "v" {
		t.Fatalf("the other namespace lost its key: %q %v %v", v, ok, err)
	}
	// reopening starts afresh, with another shard count if asked
	again := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: "drop", Shards: 5})
	if keys, err := again.ListKeys(ctx, nil); err != nil || len(keys) != 0 {
		t.Fatalf("after Drop and Open: %d keys, %v", len(keys), err)
	}
}

func expiry(ttl time.Duration) time.Time {
	if ttl == 0 {
		return time.Time{}
	}
	return time.Now().Add(ttl)
}

// TestClusterSeeds opens a cluster through one seed address with Cluster set,
// and refuses a cluster node given as a single server with a hint.
func TestClusterSeeds(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	ctx := context.Background()
	one := []string{cl.Nodes[2].Addr()}
	b := open(t, redis.Config{Addrs: one, Cluster: true, Namespace: "seed"})
	if b.Shards() != redis.DefaultShards {
		t.Errorf("a new namespace on a cluster has %d shards, want %d", b.Shards(), redis.DefaultShards)
	}
	for i := range 50 {
		if err := b.Put(ctx, fmt.Appendf(nil, "k%02d", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if keys, err := b.ListKeys(ctx, []byte("k")); err != nil || len(keys) != 50 {
		t.Fatalf("ListKeys through one seed: %d keys, %v", len(keys), err)
	}
	// every master holds some of the namespace
	for _, n := range cl.Nodes {
		if out, err := n.Do("DBSIZE"); err != nil || out == "0" {
			t.Errorf("master %s holds %s keys (%v)", n.Addr(), out, err)
		}
	}
	// A cluster node given as a single server: the nodes that do not own the
	// meta key's slot answer MOVED, and Open says what to do.
	refused := 0
	for _, n := range cl.Nodes {
		_, err := redis.Open(ctx, redis.Config{Addrs: []string{n.Addr()}, Namespace: "seed"})
		if err == nil {
			continue // the node owning the slot: a server client works there
		}
		refused++
		if !strings.Contains(err.Error(), "set Config.Cluster") {
			t.Errorf("Open of a cluster node as a server: %v, want a hint to set Config.Cluster", err)
		}
	}
	if refused != len(cl.Nodes)-1 {
		t.Errorf("%d nodes refused, want all but the meta key's owner", refused)
	}
}
