// Package promstats exports statekit's statistics to Prometheus: a backend's
// runtime.Stats and a checkpoint Coordinator's Stats, as collectors to
// register with a prometheus.Registerer.
//
// It is a package of its own so that a program that does not use Prometheus
// does not import client_golang.
//
//	labels := promstats.LabelsFor(db, "orders") // name="orders", backend="badger"
//	reg.MustRegister(
//		promstats.NewBackendCollector(db, labels),
//		promstats.NewCheckpointCollector(coord, labels),
//	)
//
// The collectors read the stats when scraped; they hold no state and start no
// goroutine. Every metric carries two constant labels: backend (memory,
// badger, ...) and name, chosen by the user to tell several stores of one
// process apart.
package promstats

import (
	"log/slog"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// Labels are the constant labels of every metric a collector exports.
type Labels struct {
	// Name tells apart the stores of one process ("orders", "sessions").
	Name string
	// Backend is the backend's kind: "memory", "badger", ... A
	// BackendCollector with an empty Backend uses BackendName of its reporter.
	Backend string
}

func (l Labels) prom() prometheus.Labels {
	return prometheus.Labels{"name": l.Name, "backend": l.Backend}
}

// LabelsFor returns the labels for backend b under name: Backend is
// BackendName(b).
func LabelsFor(b any, name string) Labels {
	return Labels{Name: name, Backend: BackendName(b)}
}

// BackendName names the kind of backend b is: the last element of the import
// path of the package that defines its type ("memory" for
// *memory.Backend, "badger" for *badger.Backend), or "unknown" for a type
// without a package (nil, an unnamed type).
func BackendName(b any) string {
	t := reflect.TypeOf(b)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.PkgPath() == "" {
		return "unknown"
	}
	p := t.PkgPath()
	return p[strings.LastIndexByte(p, '/')+1:]
}

const namespace = "statekit"

// BackendCollector exports a backend's runtime.Stats, read at every scrape:
//
//	statekit_backend_operations_total{op="get"|"put"|"delete"|"list"}  counter
//	statekit_backend_hits_total, statekit_backend_misses_total          counters (Gets that found / did not find a key)
//	statekit_backend_expired_total                                      counter (entries removed because they expired)
//	statekit_backend_entries                                            gauge
//	statekit_backend_memory_bytes, statekit_backend_disk_bytes          gauges
//
// A gauge the backend cannot tell (Stats reports -1, as Badger does for
// entries and memory) is left out rather than exported as -1.
type BackendCollector struct {
	r                      runtime.StatsReporter
	ops, hits, misses, exp *prometheus.Desc
	cacheHits, cacheMisses *prometheus.Desc
	entries, memory, disk  *prometheus.Desc
}

// NewBackendCollector returns a collector of r's Stats with labels l; an
// empty l.Backend is filled with BackendName(r).
func NewBackendCollector(r runtime.StatsReporter, l Labels) *BackendCollector {
	if l.Backend == "" {
		l.Backend = BackendName(r)
	}
	c := l.prom()
	desc := func(name, help string, variable ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "backend", name), help, variable, c)
	}
	return &BackendCollector{
		r:      r,
		ops:    desc("operations_total", "Backend operations since the backend was opened, by operation.", "op"),
		hits:   desc("hits_total", "Gets that found their key.", nil...),
		misses: desc("misses_total", "Gets that did not find their key.", nil...),
		exp:    desc("expired_total", "Entries removed because their TTL expired.", nil...),
		cacheHits: desc("cache_hits_total",
			"Gets the backend's value cache answered (Badger's; absent where there is none).", nil...),
		cacheMisses: desc("cache_misses_total",
			"Gets the backend's value cache passed on to the store (absent where there is none).", nil...),
		entries: desc("entries", "Live entries in the backend (an estimate where the backend says so).", nil...),
		memory:  desc("memory_bytes", "Memory held by the backend's entries (an estimate).", nil...),
		disk:    desc("disk_bytes", "Bytes the backend's files occupy on disk.", nil...),
	}
}

// Describe sends the descriptors of every metric the collector may export.
func (c *BackendCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.ops, c.hits, c.misses, c.exp, c.cacheHits, c.cacheMisses, c.entries, c.memory, c.disk} {
		ch <- d
	}
}

// Collect reads the backend's Stats once and sends its metrics.
func (c *BackendCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.r.Stats()
	counter := func(d *prometheus.Desc, v uint64, label ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), label...)
	}
	counter(c.ops, s.GetCount, "get")
	counter(c.ops, s.PutCount, "put")
	counter(c.ops, s.DeleteCount, "delete")
	counter(c.ops, s.ListCount, "list")
	counter(c.hits, s.HitCount)
	counter(c.misses, s.MissCount)
	counter(c.exp, s.ExpiredCount)
	if s.CacheHitCount+s.CacheMissCount > 0 {
		counter(c.cacheHits, s.CacheHitCount)
		counter(c.cacheMisses, s.CacheMissCount)
	}
	gauge := func(d *prometheus.Desc, v int64) {
		if v >= 0 {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
		}
	}
	gauge(c.entries, s.Entries)
	gauge(c.memory, s.MemoryBytes)
	gauge(c.disk, s.DiskBytes)
}

// CheckpointCollector exports a checkpoint Coordinator's Stats, read at every
// scrape:
//
//	statekit_checkpoints_created_total, statekit_checkpoint_failures_total     counters
//	statekit_checkpoint_restores_total, statekit_checkpoint_restore_failures_total  counters
//	statekit_checkpoint_corrupt_skipped_total                                   counter
//	statekit_checkpoint_written_bytes_total                                     counter
//	statekit_checkpoint_last_success_timestamp_seconds                          gauge (Unix time)
//	statekit_checkpoint_last_duration_seconds                                   gauge
//	statekit_checkpoint_last_restore_duration_seconds                           gauge
//	statekit_checkpoint_newest_size_bytes, statekit_checkpoint_newest_entries  gauges
//	statekit_checkpoint_files                                                   gauge
//
// The last-success timestamp, the durations and the newest checkpoint's size
// are left out until there is something to report (a process that has not yet
// checkpointed exports no timestamp, rather than 1970). The newest_* and files
// gauges come from the checkpoint directory (Coordinator.List: the header and
// trailer of each file, not a full read), so they also describe checkpoints an
// earlier run of the process wrote.
type CheckpointCollector struct {
	c                                    *checkpoint.Coordinator
	created, failed, restores, rfailed   *prometheus.Desc
	cancelled                            *prometheus.Desc
	skipped, written                     *prometheus.Desc
	lastTime, lastDur, lastRestore       *prometheus.Desc
	newestSize, newestEntries, fileCount *prometheus.Desc
	listFailed                           atomic.Bool // the directory could not be listed at the last scrape
}

// NewCheckpointCollector returns a collector of c's Stats with labels l. Use
// the labels of the backend c checkpoints (LabelsFor), so that the two join.
func NewCheckpointCollector(c *checkpoint.Coordinator, l Labels) *CheckpointCollector {
	cl := l.prom()
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(namespace+"_"+name, help, nil, cl)
	}
	return &CheckpointCollector{
		c:             c,
		created:       desc("checkpoints_created_total", "Checkpoints written successfully."),
		failed:        desc("checkpoint_failures_total", "Checkpoints that failed (nothing was written under a checkpoint's name)."),
		cancelled:     desc("checkpoint_cancelled_total", "Checkpoints stopped because their context was cancelled (by Shutdown, say): not failures."),
		restores:      desc("checkpoint_restores_total", "Checkpoints restored successfully."),
		rfailed:       desc("checkpoint_restore_failures_total", "Restores that failed, corrupt checkpoints included."),
		skipped:       desc("checkpoint_corrupt_skipped_total", "Corrupt checkpoints RestoreLatest passed over for an older one."),
		written:       desc("checkpoint_written_bytes_total", "Bytes of checkpoint files written successfully."),
		lastTime:      desc("checkpoint_last_success_timestamp_seconds", "Creation time of the last successful checkpoint of this process, in Unix seconds."),
		lastDur:       desc("checkpoint_last_duration_seconds", "How long the last successful checkpoint took."),
		lastRestore:   desc("checkpoint_last_restore_duration_seconds", "How long the last successful restore took."),
		newestSize:    desc("checkpoint_newest_size_bytes", "Size of the newest readable checkpoint file in the directory."),
		newestEntries: desc("checkpoint_newest_entries", "Entries in the newest readable checkpoint file in the directory."),
		fileCount:     desc("checkpoint_files", "Readable checkpoint files in the directory."),
	}
}

// Describe sends the descriptors of every metric the collector may export.
func (c *CheckpointCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.created, c.failed, c.cancelled, c.restores, c.rfailed, c.skipped, c.written,
		c.lastTime, c.lastDur, c.lastRestore, c.newestSize, c.newestEntries, c.fileCount} {
		ch <- d
	}
}

// Collect reads the coordinator's Stats and lists its directory, and sends
// the metrics. A directory that cannot be listed leaves out the gauges read
// from it (files, newest size and entries) and logs a warning once; the
// counters and the last success time are still exported.
func (c *CheckpointCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.c.Stats()
	metric := func(d *prometheus.Desc, t prometheus.ValueType, v float64) {
		ch <- prometheus.MustNewConstMetric(d, t, v)
	}
	metric(c.created, prometheus.CounterValue, float64(s.CheckpointsCreated))
	metric(c.failed, prometheus.CounterValue, float64(s.CheckpointFailures))
	metric(c.cancelled, prometheus.CounterValue, float64(s.CheckpointsCancelled))
	metric(c.restores, prometheus.CounterValue, float64(s.Restores))
	metric(c.rfailed, prometheus.CounterValue, float64(s.RestoreFailures))
	metric(c.skipped, prometheus.CounterValue, float64(s.CorruptSkipped))
	metric(c.written, prometheus.CounterValue, float64(s.TotalBytesCheckpointed))
	if !s.LastCheckpointTime.IsZero() {
		metric(c.lastTime, prometheus.GaugeValue, unixSeconds(s.LastCheckpointTime))
		metric(c.lastDur, prometheus.GaugeValue, s.LastCheckpointDuration.Seconds())
	}
	if s.Restores > 0 {
		metric(c.lastRestore, prometheus.GaugeValue, s.LastRestoreDuration.Seconds())
	}
	infos, err := c.c.List()
	if err != nil {
		// Leave the directory's gauges out but keep the rest: failing the
		// whole scrape would hide checkpoint_failures_total and the last
		// success time exactly when the alerts on them should fire. Logged
		// once per outage, not per scrape.
		if c.listFailed.CompareAndSwap(false, true) {
			slog.Warn("statekit checkpoint metrics: cannot list the checkpoint directory; its gauges are left out", "err", err)
		}
		return
	}
	c.listFailed.Store(false)
	metric(c.fileCount, prometheus.GaugeValue, float64(len(infos)))
	if len(infos) > 0 { // newest first
		metric(c.newestSize, prometheus.GaugeValue, float64(infos[0].SizeBytes))
		metric(c.newestEntries, prometheus.GaugeValue, float64(infos[0].Entries))
	}
}

// unixSeconds is t in Unix seconds with its fraction, as Prometheus's
// timestamps are.
func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
