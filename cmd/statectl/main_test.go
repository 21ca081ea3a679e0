package main_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// bin is the statectl binary built once for all tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "statectl-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "statectl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building statectl: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs the built statectl with args.
func run(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// created is the creation time of the fixture checkpoints: in the future, so
// that their TTLs have not run out when restore runs.
var created = time.Date(2040, 3, 4, 5, 6, 7, 0, time.UTC)

func cborOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := runtime.CBOREncMode.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fill writes the fixture state: what generated stores write (aggregate,
// window state, window timers), a raw key, and an entry with a TTL.
func fill(t *testing.T, b *memory.Backend) {
	t.Helper()
	ctx := context.Background()
	put := func(k, v []byte) {
		if err := b.Put(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	agg := runtime.AppendKeyString(runtime.AppendKeyString([]byte("a/ModelLatency/"), "acme"), "m1")
	put(agg, cborOf(t, map[string]any{"Tenant": "acme", "Model": "m1", "Calls": 3, "Total": 12.5}))
	start := time.Date(2040, 3, 4, 5, 0, 0, 0, time.UTC)
	for _, user := range []string{"alice", "bob"} {
		k, err := runtime.AppendKeyTime(runtime.AppendKeyString([]byte("w/UserClicks/"), user), start)
		if err != nil {
			t.Fatal(err)
		}
		put(k, cborOf(t, map[string]any{"UserID": user, "Clicks": len(user)}))
		tk, err := runtime.AppendKeyTime([]byte("t/UserClicks/"), start.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		put(runtime.AppendKeyString(tk, user), []byte{})
	}
	put([]byte("window:123"), []byte("clicks=3"))
	if err := b.PutTTL(ctx, []byte("session:9"), cborOf(t, "x"), time.Hour); err != nil {
		t.Fatal(err)
	}
}

// makeCheckpoint writes a checkpoint of what fill wrote (plus extra) into dir
// and returns its path.
func makeCheckpoint(t *testing.T, dir string, at time.Time, compress bool, extra func(*memory.Backend)) string {
	t.Helper()
	clock := runtime.NewManualClock(at)
	b := memory.New(memory.Options{Clock: clock})
	defer b.Close()
	fill(t, b)
	if extra != nil {
		extra(b)
	}
	c, err := checkpoint.New(b, time.Hour, checkpoint.Options{Dir: dir, MaxCheckpoints: 100, Compress: compress, Clock: clock, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.CreateCheckpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, info.ID+".ckpt")
}

// damage writes a damaged copy of src into dir under name.
func damage(t *testing.T, src, dir, name string, f func([]byte) []byte) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, f(b), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// fixtures is a directory holding a valid, a corrupt, a truncated and a
// newer-version checkpoint.
type fixtures struct {
	dir                              string
	valid, corrupt, truncated, newer string
	validID                          string
}

func makeFixtures(t *testing.T) fixtures {
	t.Helper()
	src := t.TempDir()
	valid := makeCheckpoint(t, src, created, true, nil)
	dir := t.TempDir()
	fx := fixtures{dir: dir}
	fx.validID = strings.TrimSuffix(filepath.Base(valid), ".ckpt")
	fx.valid = damage(t, valid, dir, filepath.Base(valid), func(b []byte) []byte { return b })
	fx.corrupt = damage(t, valid, dir, "20400304T050608.000000000Z.ckpt", func(b []byte) []byte {
		b[len(b)/2] ^= 0x10 // a bit of the body
		return b
	})
	fx.truncated = damage(t, valid, dir, "20400304T050609.000000000Z.ckpt", func(b []byte) []byte { return b[:len(b)-10] })
	fx.newer = damage(t, valid, dir, "20400304T050610.000000000Z.ckpt", func(b []byte) []byte {
		// Format version 3, intact: the trailer's SHA-256 (bytes 24-56 of
		// the last 64, over everything before them) recomputed, as a newer
		// statekit would have written it. Without that it is corrupt.
		binary.LittleEndian.PutUint16(b[8:], 3)
		sum := sha256.Sum256(b[:len(b)-64+24])
		copy(b[len(b)-64+24:], sum[:])
		return b
	})
	return fx
}

func TestUsage(t *testing.T) {
	fx := makeFixtures(t)
	tests := []struct {
		args []string
		code int
		err  string // in stderr
	}{
		{nil, 2, "usage: statectl <command>"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"ls"}, 2, "want 1 argument(s), got 0"},
		{[]string{"ls", "a", "b"}, 2, "want 1 argument(s), got 2"},
		{[]string{"ls", "-bogus", fx.dir}, 2, "flag provided but not defined: -bogus"},
		{[]string{"dump", "-limit", "-1", fx.valid}, 2, "-limit -1"},
		{[]string{"dump", "-limit", "x", fx.valid}, 2, "invalid value"},
		{[]string{"diff", fx.valid}, 2, "want 2 argument(s)"},
		{[]string{"restore", fx.valid}, 2, "-to is required"},
		{[]string{"restore", fx.valid, "-to", "redis:x"}, 2, "want badger:DIR"},
		{[]string{"restore", fx.valid, "-to", "badger:"}, 2, "no directory"},
		{[]string{"restore", fx.valid, "-to", "badger:x", "-progress", "0s"}, 2, "want a positive duration"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := run(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.err) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tt.code, tt.err)
			}
		})
	}
	if r := run(t, "help"); r.code != 0 || !strings.Contains(r.stdout, "restore FILE -to badger:DIR") {
		t.Errorf("help: exit %d, stdout %q", r.code, r.stdout)
	}
	if r := run(t, "dump", "-h"); r.code != 0 || !strings.Contains(r.stdout, "-prefix") {
		t.Errorf("dump -h: exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestLs(t *testing.T) {
	fx := makeFixtures(t)
	r := run(t, "ls", fx.dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 5 {
		t.Fatalf("want a header and 4 lines, got:\n%s", r.stdout)
	}
	want := []struct{ id, status string }{
		{fx.validID, "valid"},
		{"20400304T050608.000000000Z", "corrupt"},
		{"20400304T050609.000000000Z", "corrupt"},
		{"20400304T050610.000000000Z", "unsupported version"},
	}
	for i, w := range want {
		line := lines[i+1]
		if !strings.Contains(line, w.id) || !strings.HasSuffix(line, w.status) {
			t.Errorf("line %d: %q, want ID %s and status %q", i+1, line, w.id, w.status)
		}
	}
	if !regexp.MustCompile(`2040-03-04T05:06:07Z\s+7\s+\d+ B\s+true\s+valid$`).MatchString(lines[1]) {
		t.Errorf("valid line: %q", lines[1])
	}
	// Each bad file named on stderr, one line each, with why.
	errLines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(errLines) != 3 {
		t.Fatalf("stderr: want 3 lines, got:\n%s", r.stderr)
	}
	for i, p := range []string{fx.corrupt, fx.truncated, fx.newer} {
		if !strings.Contains(errLines[i], p+": ") {
			t.Errorf("stderr line %d %q does not name %s", i, errLines[i], p)
		}
	}
	if !strings.Contains(errLines[0], "SHA-256 mismatch") || !strings.Contains(errLines[2], "format version 3") {
		t.Errorf("stderr does not say why:\n%s", r.stderr)
	}

	r = run(t, "ls", "-json", fx.dir)
	var rows []struct {
		File, ID, Status, Error string
		Created                 time.Time
		Entries, SizeBytes      int64 `json:"-"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || r.code != 0 {
		t.Fatalf("ls -json: exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	if len(rows) != 4 || rows[0].Status != "valid" || !rows[0].Created.Equal(created) || rows[3].Status != "unsupported version" || rows[1].Error == "" {
		t.Errorf("ls -json rows: %+v", rows)
	}

	empty := t.TempDir()
	if r := run(t, "ls", empty); r.code != 0 || !strings.Contains(r.stderr, "no checkpoint files") {
		t.Errorf("ls of an empty dir: exit %d, %q", r.code, r.stderr)
	}
	if r := run(t, "ls", filepath.Join(empty, "missing")); r.code != 1 || !strings.Contains(r.stderr, "missing") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("ls of a missing dir: exit %d, %q", r.code, r.stderr)
	}
}

func TestVerify(t *testing.T) {
	fx := makeFixtures(t)
	tests := []struct {
		name   string
		path   string
		code   int
		stdout string
		stderr string
	}{
		{"valid", fx.valid, 0, "ok " + fx.valid + " (7 entries)", ""},
		{"corrupt", fx.corrupt, 1, "", fx.corrupt + ": corrupt: "},
		{"truncated", fx.truncated, 1, "", fx.truncated + ": corrupt: "},
		{"newer version", fx.newer, 1, "", fx.newer + ": unsupported version: "},
		{"missing", filepath.Join(fx.dir, "nope.ckpt"), 1, "", "nope.ckpt: no such file"},
		{"dir", fx.dir, 1, "ok " + fx.valid, "3 of 4 checkpoint files bad"},
		{"empty dir", t.TempDir(), 1, "", "no checkpoint files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, "verify", tt.path)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d\nstdout %q\nstderr %q\nwant exit %d, %q, %q", r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
	// An uncompressed checkpoint verifies too, with its record count.
	src := makeCheckpoint(t, t.TempDir(), created, false, nil)
	if r := run(t, "verify", src); r.code != 0 || !strings.Contains(r.stdout, "(7 entries)") {
		t.Errorf("uncompressed: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestInfo(t *testing.T) {
	fx := makeFixtures(t)
	r := run(t, "info", fx.valid)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"id           " + fx.validID,
		"created      2040-03-04T05:06:07Z",
		"format       version 2",
		"compressed   true",
		"entries      7",
		"expiring     1 of 7 entries, 2040-03-04T06:06:07Z to 2040-03-04T06:06:07Z",
		"checksum     ok",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("info lacks %q:\n%s", want, r.stdout)
		}
	}
	// Per prefix: entries, key and value bytes, in descending size.
	re := regexp.MustCompile(`(?m)^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+%)\s+(\d+)$`)
	var groups []string
	counts := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(r.stdout, -1) {
		groups = append(groups, m[1])
		counts[m[1]] = m[2]
	}
	if want := map[string]string{"w/UserClicks/": "2", "t/UserClicks/": "2", "a/ModelLatency/": "1", "window:": "1", "session:": "1"}; fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("per-prefix entries %v, want %v\n%s", counts, want, r.stdout)
	}
	if len(groups) == 0 || groups[0] != "w/UserClicks/" && groups[0] != "a/ModelLatency/" {
		t.Errorf("largest prefix first: %v", groups)
	}
	for _, p := range []string{fx.corrupt, fx.truncated, fx.newer} {
		r := run(t, "info", p)
		if r.code != 1 || !strings.HasPrefix(r.stderr, "statectl info: "+p+": ") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("info %s: exit %d, %q", p, r.code, r.stderr)
		}
	}
}

const wantDump = `a/ModelLatency/ ("acme", "m1") = {"Calls": 3, "Model": "m1", "Total": 12.5, "Tenant": "acme"}
"session:9" = "x" expires 2040-03-04T06:06:07Z
t/UserClicks/ (end=2040-03-04T05:01:00Z, "alice") = (empty)
t/UserClicks/ (end=2040-03-04T05:01:00Z, "bob") = (empty)
w/UserClicks/ ("alice", start=2040-03-04T05:00:00Z) = {"Clicks": 5, "UserID": "alice"}
w/UserClicks/ ("bob", start=2040-03-04T05:00:00Z) = {"Clicks": 3, "UserID": "bob"}
"window:123" = raw "clicks=3"
`

func TestDump(t *testing.T) {
	fx := makeFixtures(t)
	r := run(t, "dump", fx.valid)
	if r.code != 0 || r.stdout != wantDump {
		t.Errorf("dump: exit %d %s\ngot:\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, wantDump)
	}
	r = run(t, "dump", fx.valid, "-prefix", "w/", "-limit", "1")
	if r.code != 0 || r.stdout != "w/UserClicks/ (\"alice\", start=2040-03-04T05:00:00Z) = {\"Clicks\": 5, \"UserID\": \"alice\"}\n" {
		t.Errorf("dump -prefix w/ -limit 1: exit %d\n%s", r.code, r.stdout)
	}
	r = run(t, "dump", "-json", "-prefix", "w/UserClicks/", fx.valid)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 2 {
		t.Fatalf("dump -json: exit %d, %d lines:\n%s", r.code, len(lines), r.stdout)
	}
	var e struct {
		Key, KeyBase64, Kind, Type string
		Fields                     []struct {
			Kind, Role string
			Value      any
		}
		Value map[string]any
	}
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil {
		t.Fatal(err)
	}
	if e.Kind != "window" || e.Type != "UserClicks" || len(e.Fields) != 2 || e.Fields[0].Value != "alice" ||
		e.Fields[1].Role != "start" || e.Fields[1].Value != "2040-03-04T05:00:00Z" || e.Value["Clicks"] != 5.0 {
		t.Errorf("dump -json line: %+v", e)
	}
	r = run(t, "dump", "-json", "-prefix", "window:", fx.valid)
	if !strings.Contains(r.stdout, `"value":null,"value_raw":"Y2xpY2tzPTM="`) {
		t.Errorf("a raw value in JSON: %s", r.stdout)
	}
	for _, p := range []string{fx.corrupt, fx.truncated, fx.newer} {
		r := run(t, "dump", p)
		if r.code != 1 || !strings.Contains(r.stderr, "statectl dump: "+p+": ") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("dump %s: exit %d, %q", p, r.code, r.stderr)
		}
	}
}

func TestDiff(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := makeCheckpoint(t, dir, created, true, nil)
	b := makeCheckpoint(t, dir, created.Add(time.Minute), false, func(m *memory.Backend) {
		agg := runtime.AppendKeyString(runtime.AppendKeyString([]byte("a/ModelLatency/"), "acme"), "m2")
		must(t, m.Put(ctx, agg, cborOf(t, map[string]any{"Calls": 1})))
		must(t, m.Put(ctx, []byte("window:123"), []byte("clicks=4")))
		must(t, m.Delete(ctx, []byte("session:9")))
	})
	r := run(t, "diff", a, b)
	want := fmt.Sprintf(`--- %s (7 entries)
+++ %s (7 entries)
a/ModelLatency/: 1 added, 0 removed, 0 changed
  + a/ModelLatency/ ("acme", "m2") = {"Calls": 1}
session:: 0 added, 1 removed, 0 changed
  - "session:9"
window:: 0 added, 0 removed, 1 changed
  ~ "window:123": raw "clicks=3" -> raw "clicks=4"
total: 1 added, 1 removed, 1 changed, 5 unchanged
`, a, b)
	if r.code != 1 || r.stdout != want {
		t.Errorf("diff: exit %d %s\ngot:\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, want)
	}
	if r := run(t, "diff", a, a); r.code != 0 || !strings.Contains(r.stdout, "total: 0 added, 0 removed, 0 changed, 7 unchanged") {
		t.Errorf("diff of a file with itself: exit %d\n%s", r.code, r.stdout)
	}
	if r := run(t, "diff", "-samples", "0", a, b); r.code != 1 || strings.Contains(r.stdout, "  + ") || !strings.Contains(r.stdout, "... and 1 more") {
		t.Errorf("diff -samples 0: exit %d\n%s", r.code, r.stdout)
	}
	fx := makeFixtures(t)
	for _, p := range []string{fx.corrupt, fx.truncated, fx.newer} {
		r := run(t, "diff", fx.valid, p)
		if r.code != 2 || !strings.Contains(r.stderr, p+": ") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("diff with %s: exit %d, %q", p, r.code, r.stderr)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRestore restores into a new Badger directory and reads it back with the
// Badger backend: the same entries and expiry times (to Badger's seconds).
func TestRestore(t *testing.T) {
	fx := makeFixtures(t)
	target := filepath.Join(t.TempDir(), "db")
	r := run(t, "restore", fx.valid, "-to", "badger:"+target, "-progress", "1ms")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`^restored 7 of 7 entries \(0 expired, skipped\) from \S+ into badger:\S+ in \S+\n$`).MatchString(r.stdout) {
		t.Errorf("summary: %q", r.stdout)
	}
	ctx := context.Background()
	db, err := badger.Open(ctx, badger.NewConfig(target).WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for e, err := range db.Snapshot(ctx) {
		must(t, err)
		got[string(e.Key)] = string(e.Value)
		if string(e.Key) == "session:9" && e.ExpiresAt.Sub(created.Add(time.Hour)).Abs() > time.Second {
			t.Errorf("session:9 expires %v, want about %v", e.ExpiresAt, created.Add(time.Hour))
		}
	}
	must(t, db.Close())
	if len(got) != 7 || got["window:123"] != "clicks=3" {
		t.Errorf("restored %d entries: %q", len(got), got)
	}
	// No temporary directory left beside the target.
	if ents, _ := os.ReadDir(filepath.Dir(target)); len(ents) != 1 {
		t.Errorf("beside the target: %v", ents)
	}

	// A non-empty target is refused without -force, and replaced with it.
	r = run(t, "restore", fx.valid, "-to", "badger:"+target)
	if r.code != 1 || !strings.Contains(r.stderr, "not empty") || !strings.Contains(r.stderr, "-force") {
		t.Errorf("restore into a non-empty dir: exit %d %q", r.code, r.stderr)
	}
	if r := run(t, "restore", "-force", fx.valid, "-to", "badger:"+target); r.code != 0 {
		t.Errorf("restore -force: exit %d %q", r.code, r.stderr)
	}

	// Bad checkpoints change nothing and create nothing.
	for _, p := range []string{fx.corrupt, fx.truncated, fx.newer} {
		fresh := filepath.Join(t.TempDir(), "db")
		r := run(t, "restore", p, "-to", "badger:"+fresh)
		if r.code != 1 || !strings.Contains(r.stderr, p+": ") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("restore %s: exit %d, %q", p, r.code, r.stderr)
		}
		if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("restore of a bad checkpoint created %s: %v", fresh, err)
		}
	}
}

// TestRestoreProgress: with many entries and a short interval, periodic plain
// lines (stderr is not a terminal here), and expired entries skipped and
// counted.
func TestRestoreProgress(t *testing.T) {
	ctx := context.Background()
	past := time.Now().Add(-2 * time.Hour) // entries with a 1h TTL have expired
	src := makeCheckpoint(t, t.TempDir(), past, true, func(m *memory.Backend) {
		for i := range 50000 {
			must(t, m.Put(ctx, fmt.Appendf(nil, "bulk:%08d", i), bytes.Repeat([]byte{'v'}, 100)))
		}
	})
	target := filepath.Join(t.TempDir(), "db")
	r := run(t, "restore", src, "-to", "badger:"+target, "-progress", "1ms")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "restored 50006 of 50007 entries (1 expired, skipped)") {
		t.Errorf("summary: %q", r.stdout)
	}
	lines := regexp.MustCompile(`(?m)^restore: \d+/50007 entries \([\d.]+%\) \S+$`).FindAllString(r.stderr, -1)
	if len(lines) == 0 {
		t.Errorf("no progress lines: %q", r.stderr)
	}
	if strings.Contains(r.stderr, "\r") {
		t.Errorf("a progress bar on a non-terminal: %q", r.stderr)
	}
}

// TestGoTool: in a fresh module that requires statekit, `go get -tool` then
// `go tool statectl` works, and so does `go run` of the package path.
func TestGoTool(t *testing.T) {
	if testing.Short() {
		t.Skip("builds statectl in a fresh module")
	}
	repo, err := filepath.Abs("../..")
	must(t, err)
	dir := t.TempDir()
	gomod := "module example.com/app\n\ngo 1.26\n\nrequire github.com/statekit/statekit v0.0.0\n\nreplace github.com/statekit/statekit => " + repo + "\n"
	must(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	gocmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	gocmd("get", "-tool", "github.com/statekit/statekit/cmd/statectl")
	fx := makeFixtures(t)
	if out := gocmd("tool", "statectl", "verify", fx.valid); !strings.Contains(out, "ok "+fx.valid) {
		t.Errorf("go tool statectl verify: %s", out)
	}
	if out := gocmd("run", "github.com/statekit/statekit/cmd/statectl", "help"); !strings.Contains(out, "usage: statectl") {
		t.Errorf("go run: %s", out)
	}
}

// TestRestoreNoSpace: on a filesystem too small for the restore, statectl
// refuses before Badger writes (Badger would die of SIGBUS writing through
// its mappings on a full filesystem), and leaves nothing behind. It mounts a
// 4 MiB tmpfs, so it runs only as root.
func TestRestoreNoSpace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	ctx := context.Background()
	src := makeCheckpoint(t, t.TempDir(), created, true, func(m *memory.Backend) {
		for i := range 100000 {
			must(t, m.Put(ctx, fmt.Appendf(nil, "bulk:%08d", i), bytes.Repeat([]byte{byte(i)}, 100)))
		}
	})
	small := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", small).CombinedOutput(); err != nil {
		t.Skipf("mount: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", small).Run() })
	target := filepath.Join(small, "db")
	r := run(t, "restore", src, "-to", "badger:"+target)
	if r.code != 1 || !strings.Contains(r.stderr, target+": 4.0 MiB free") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("exit %d, %q", r.code, r.stderr)
	}
	if ents, err := os.ReadDir(small); err != nil || len(ents) != 0 {
		t.Errorf("left behind: %v %v", ents, err)
	}
}

// TestRestoreInterrupted: SIGINT in the middle of a restore stops it; the
// target directory does not appear and the temporary one is removed.
func TestRestoreInterrupted(t *testing.T) {
	ctx := context.Background()
	src := makeCheckpoint(t, t.TempDir(), created, true, func(m *memory.Backend) {
		for i := range 300000 {
			must(t, m.Put(ctx, fmt.Appendf(nil, "bulk:%08d", i), bytes.Repeat([]byte{byte(i)}, 100)))
		}
	})
	parent := t.TempDir()
	target := filepath.Join(parent, "db")
	cmd := exec.Command(bin, "restore", src, "-to", "badger:"+target, "-progress", "1ms")
	stderr, err := cmd.StderrPipe()
	must(t, err)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	must(t, cmd.Start())
	// The first progress line: the restore is under way.
	buf := make([]byte, 256)
	if _, err := stderr.Read(buf); err != nil {
		t.Fatal(err)
	}
	must(t, cmd.Process.Signal(os.Interrupt))
	rest, _ := io.ReadAll(stderr)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v; stdout %q", err, stdout.String())
	}
	if !strings.Contains(string(rest), "context canceled") {
		t.Errorf("stderr: %s", rest)
	}
	if ents, err := os.ReadDir(parent); err != nil || len(ents) != 0 {
		t.Errorf("left in the parent directory: %v %v", ents, err)
	}
}
