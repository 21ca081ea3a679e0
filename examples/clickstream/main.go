// Command clickstream is statekit's main demo: a small stream processor on
// generated stores. It reads a synthetic stream of click events that arrive a
// little out of order, counts clicks per user in sliding windows and traffic
// per page, fires windows as the watermark advances, takes a checkpoint half
// way, "crashes", and restores the checkpoint into a fresh backend.
//
//	go run ./examples/clickstream                      # memory backend, defaults
//	go run ./examples/clickstream -events 200000 -backend badger
//	go run ./examples/clickstream -backend redis -redis-addr localhost:6379
//	go run ./examples/clickstream -backend redis -redis-addr host1:7000,host2:7001,host3:7002 # a cluster
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

type config struct {
	events   int
	users    int
	pages    int
	disorder time.Duration // how far an event may arrive behind the newest
	seed     uint64
	backend  string   // memory, badger or redis
	redis    []string // Redis addresses: one server, or several cluster nodes
}

func main() {
	var cfg config
	flag.IntVar(&cfg.events, "events", 20_000, "click events to process")
	flag.IntVar(&cfg.users, "users", 50, "distinct users")
	flag.IntVar(&cfg.pages, "pages", 12, "distinct pages")
	flag.DurationVar(&cfg.disorder, "disorder", 8*time.Second, "how late an event may arrive")
	flag.Uint64Var(&cfg.seed, "seed", 1, "random seed")
	flag.StringVar(&cfg.backend, "backend", "memory", "where state lives: memory, badger or redis")
	useBadger := flag.Bool("badger", false, "same as -backend badger")
	redisAddr := flag.String("redis-addr", "localhost:6379", "with -backend redis: the server's host:port, or several cluster nodes separated by commas")
	flag.Parse()
	if *useBadger {
		cfg.backend = "badger"
	}
	cfg.redis = strings.Split(*redisAddr, ",")
	if err := run(context.Background(), os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "clickstream:", err)
		os.Exit(1)
	}
}

// click is one event of the stream.
type click struct {
	at      time.Time
	user    string
	page    string
	bytes   int64
	referer string
}

// stream returns the events in arrival order: event times advance a second
// at a time on average, and each event arrives up to disorder late.
func stream(cfg config) []click {
	rng := rand.New(rand.NewPCG(cfg.seed, 7))
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	events := make([]click, cfg.events)
	arrival := make([]time.Duration, cfg.events)
	for i := range events {
		at := start.Add(time.Duration(i) * time.Second / 4)
		events[i] = click{
			at:      at,
			user:    fmt.Sprintf("user%03d", int(rng.ExpFloat64()*float64(cfg.users)/4)%cfg.users),
			page:    fmt.Sprintf("/page/%d", rng.IntN(cfg.pages)),
			bytes:   int64(200 + rng.IntN(5000)),
			referer: []string{"search", "email", "direct", "social"}[rng.IntN(4)],
		}
		arrival[i] = at.Sub(start) + time.Duration(rng.Int64N(int64(cfg.disorder)+1))
	}
	idx := make([]int, len(events))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(arrival[a], arrival[b]) })
	out := make([]click, len(events))
	for i, j := range idx {
		out[i] = events[j]
	}
	return out
}

// open opens the backend cfg names; name tells the demo's two backends apart
// (a directory for Badger, a namespace for Redis).
func open(ctx context.Context, cfg config, dir, name string) (runtime.Backend, error) {
	switch cfg.backend {
	case "memory":
		return memory.New(memory.Options{}), nil
	case "badger":
		return badger.Open(ctx, badger.NewConfig(dir+"/"+name).WithLogger(slog.New(slog.DiscardHandler)))
	case "redis":
		// A namespace of its own, dropped at the end: the demo leaves nothing
		// behind in a Redis it shares.
		b, err := redis.Open(ctx, redis.Config{
			Addrs:     cfg.redis,
			Namespace: fmt.Sprintf("statekit-clickstream-%d-%s", time.Now().UnixNano(), name),
			Logger:    slog.New(slog.DiscardHandler),
		})
		if err != nil {
			return nil, err
		}
		return droppedOnClose{b}, nil
	}
	return nil, fmt.Errorf("unknown backend %q: want memory, badger or redis", cfg.backend)
}

// droppedOnClose is a Redis backend whose Close deletes its namespace first.
type droppedOnClose struct{ *redis.Backend }

func (d droppedOnClose) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(d.Drop(ctx), d.Backend.Close())
}

func run(ctx context.Context, out io.Writer, cfg config) error {
	dir, err := os.MkdirTemp("", "statekit-clickstream-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b, err := open(ctx, cfg, dir, "state")
	if err != nil {
		return err
	}
	defer b.Close()
	clicks, pages := NewUserClicksStore(b), NewPageStatsStore(b)
	coord, err := checkpoint.New(b, time.Hour, checkpoint.Options{Dir: dir + "/checkpoints", MaxCheckpoints: 3, Compress: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}

	events := stream(cfg)
	fmt.Fprintf(out, "clickstream: %d events, %d users, %d pages, up to %v out of order, on %s\n",
		len(events), cfg.users, cfg.pages, cfg.disorder, cfg.backend)
	start := time.Now()
	var newest time.Time
	late, fired := 0, 0
	var busiest UserClicks
	var busiestWin runtime.Window
	track := func(_ UserClicksKey, w runtime.Window, v UserClicks) error { // what a real job would emit
		if v.Clicks > busiest.Clicks {
			busiest, busiestWin = v, w
		}
		return nil
	}
	var atCheckpoint []PageStats
	for i, ev := range events {
		err := clicks.Add(ctx, ev.at, UserClicks{User: ev.user, Bytes: ev.bytes, Last: ev.at})
		switch {
		case errors.Is(err, runtime.ErrLate):
			late++ // its windows have fired: dropped
		case err != nil:
			return err
		}
		if err := pages.Merge(ctx, PageStats{Page: ev.page, Bytes: ev.bytes, Largest: ev.bytes, First: ev.at, Referer: ev.referer}); err != nil {
			return err
		}
		if ev.at.After(newest) {
			newest = ev.at
		}
		if i%500 == 499 { // the watermark trails the newest event by a second: later events are late
			n, err := clicks.FireDue(ctx, newest.Add(-time.Second), track)
			if err != nil {
				return err
			}
			fired += n
		}
		if i == len(events)/2 {
			info, err := coord.CreateCheckpoint(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "checkpoint %s after %d events: %d entries, %d bytes\n", info.ID, i+1, info.Entries, info.SizeBytes)
			if atCheckpoint, err = allPages(ctx, pages); err != nil {
				return err
			}
		}
	}
	n, err := clicks.FireDue(ctx, newest.Add(time.Hour), track)
	if err != nil {
		return err
	}
	fired += n
	took := time.Since(start)
	fmt.Fprintf(out, "processed %d events in %v (%.0f events/s): %d windows fired, %d late events dropped\n",
		len(events), took.Round(time.Millisecond), float64(len(events))/took.Seconds(), fired, late)
	fmt.Fprintf(out, "busiest window: %s clicked %d times in %s\n", busiest.User, busiest.Clicks, busiestWin)
	final, err := allPages(ctx, pages)
	if err != nil {
		return err
	}
	slices.SortFunc(final, func(a, b PageStats) int { return cmp.Compare(b.Views, a.Views) })
	fmt.Fprintln(out, "top pages:")
	for _, p := range final[:min(3, len(final))] {
		fmt.Fprintf(out, "  %-10s %5d views %9d bytes, largest %d, first at %s, last referer %s\n",
			p.Page, p.Views, p.Bytes, p.Largest, p.First.Format("15:04:05"), p.Referer)
	}

	// The process "crashes": a fresh backend restores the checkpoint.
	fresh, err := open(ctx, cfg, dir, "restored")
	if err != nil {
		return err
	}
	defer fresh.Close()
	rc, err := checkpoint.New(fresh, time.Hour, checkpoint.Options{Dir: dir + "/checkpoints", MaxCheckpoints: 3, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	info, err := rc.RestoreLatest(ctx)
	if err != nil {
		return err
	}
	restored, err := allPages(ctx, NewPageStatsStore(fresh))
	if err != nil {
		return err
	}
	same := slices.EqualFunc(restored, atCheckpoint, func(a, b PageStats) bool {
		return a.Page == b.Page && a.Views == b.Views && a.Bytes == b.Bytes && a.First.Equal(b.First)
	})
	fmt.Fprintf(out, "after a crash: restored checkpoint %s (%d entries) into a fresh backend; page stats as at the checkpoint: %v\n",
		info.ID, info.Entries, same)
	if !same {
		return errors.New("restored state differs from the state at the checkpoint")
	}
	return coord.Shutdown(ctx)
}

func allPages(ctx context.Context, s *PageStatsStore) ([]PageStats, error) {
	var all []PageStats
	for p, err := range s.All(ctx) {
		if err != nil {
			return nil, err
		}
		all = append(all, p)
	}
	return all, nil
}
