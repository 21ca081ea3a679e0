package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/statekit/statekit/checkpoint"
)

// crashSeedEnv, if set, fixes the random kill points of TestCrashResume.
const crashSeedEnv = "STATEKIT_CRASH_SEED"

// buildStateDemo builds examples/state_demo and returns the binary.
func buildStateDemo(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "state_demo")
	cmd := exec.Command("go", "build", "-o", bin, "../examples/state_demo")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building state_demo: %v\n%s", err, out)
	}
	return bin
}

// jobRecord is a line of the state_demo job's output (its record type).
type jobRecord struct {
	Kind       string          `json:"kind"`
	Checkpoint string          `json:"checkpoint"`
	Offset     int64           `json:"offset"`
	Window     *firedWindow    `json:"window"`
	Customer   json.RawMessage `json:"customer"`
	Progress   json.RawMessage `json:"progress"`
}

type firedWindow struct {
	Merchant string    `json:"merchant"`
	Start    time.Time `json:"start"`
	Orders   int64     `json:"orders"`
	Cents    int64     `json:"cents"`
	Largest  int64     `json:"largest"`
}

type windowKey struct {
	merchant string
	start    int64
}

// results gathers what the job's runs printed: fired windows, deduplicated
// by (merchant, window), and the final run's customer totals and progress.
type results struct {
	windows   map[windowKey]firedWindow
	repeats   int      // windows fired again, with the same contents
	customers []string // JSON, in key order
	progress  string   // JSON
	done      bool
	resumes   []int64 // the offset each run resumed at
}

func newResults() *results { return &results{windows: make(map[windowKey]firedWindow)} }

// add reads one run's output. A window fired again must have the same
// contents: state is exactly once, so its contents cannot differ.
func (r *results) add(t *testing.T, out []byte, killed bool) error {
	t.Helper()
	if killed {
		// A line cut by the kill: writes are one line each, so there is
		// none in practice, but a partial line would not be an error.
		if i := bytes.LastIndexByte(out, '\n'); i >= 0 {
			out = out[:i+1]
		} else {
			out = nil
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	var customers []string
	for sc.Scan() {
		var rec jobRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return fmt.Errorf("line %q: %v", sc.Text(), err)
		}
		switch rec.Kind {
		case "resume":
			r.resumes = append(r.resumes, rec.Offset)
		case "window":
			k := windowKey{rec.Window.Merchant, rec.Window.Start.UnixNano()}
			if old, ok := r.windows[k]; ok {
				if old != *rec.Window {
					return fmt.Errorf("window %v fired twice with different contents: %+v, then %+v", k, old, *rec.Window)
				}
				r.repeats++
				continue
			}
			r.windows[k] = *rec.Window
		case "customer":
			customers = append(customers, string(rec.Customer))
		case "progress":
			r.progress = string(rec.Progress)
		case "done":
			r.done = true
			r.customers = customers
		}
	}
	return sc.Err()
}

// equal reports how got differs from want, the uninterrupted run.
func (r *results) diff(want *results) []string {
	var d []string
	if !r.done {
		d = append(d, "the job never finished")
	}
	if len(r.windows) != len(want.windows) {
		d = append(d, fmt.Sprintf("%d distinct windows fired, want %d", len(r.windows), len(want.windows)))
	}
	for k, w := range want.windows {
		if g, ok := r.windows[k]; !ok || g != w {
			d = append(d, fmt.Sprintf("window %v: %+v (fired: %v), want %+v", k, g, ok, w))
			break
		}
	}
	if len(r.customers) != len(want.customers) {
		d = append(d, fmt.Sprintf("%d customers, want %d", len(r.customers), len(want.customers)))
	}
	for i := range min(len(r.customers), len(want.customers)) {
		if r.customers[i] != want.customers[i] {
			d = append(d, fmt.Sprintf("customer totals %s, want %s", r.customers[i], want.customers[i]))
			break
		}
	}
	if r.progress != want.progress {
		d = append(d, fmt.Sprintf("progress %s, want %s", r.progress, want.progress))
	}
	return d
}

// runJob runs the job once; with kill > 0 it is killed with SIGKILL after
// that long unless it ends first. It returns the output, the standard error
// and whether the kill landed.
func runJob(t *testing.T, bin string, args []string, kill time.Duration) (out, errOut []byte, killed bool) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var timeout <-chan time.Time
	if kill > 0 {
		timeout = time.After(kill)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("state_demo %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.Bytes(), stderr.Bytes(), false
	case <-timeout:
		// The process may end between the timer and the signal: then
		// Signal fails and Wait reports how it ended.
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := <-exited
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return stdout.Bytes(), stderr.Bytes(), true
		}
		if err != nil {
			t.Fatalf("state_demo %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.Bytes(), stderr.Bytes(), false
	}
}

// TestCrashResume runs the state_demo job in a child process and kills it
// with SIGKILL at random points, several times; each restart restores the
// newest checkpoint and replays the stream from the position saved in it.
// The windows fired (deduplicated: at least once), the customer totals and
// the job's counters must equal those of a run without a crash, on memory
// and on Badger. The control runs the same with the position saved one event
// early, and must see the difference.
func TestCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs state_demo many times")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", crashSeedEnv, s, err)
		}
	}
	t.Logf("kill points from seed %d (%s=%d repeats them)", seed, crashSeedEnv, seed)
	bin := buildStateDemo(t)
	tests := []struct {
		name    string
		args    []string
		control bool // the position is saved one event early: must differ
	}{
		{"memory", []string{"-backend", "memory", "-events", "120000", "-checkpoint-every", "4000"}, false},
		{"badger", []string{"-backend", "badger", "-events", "30000", "-checkpoint-every", "1500"}, false},
		{"control", []string{"-backend", "memory", "-events", "120000", "-checkpoint-every", "4000", "-unsafe-position-lag", "1"}, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			common := append([]string{"-job", "-customers", "2000", "-merchants", "20"}, tt.args...)

			start := time.Now()
			out, _, _ := runJob(t, bin, append(common, "-dir", t.TempDir()), 0)
			took := time.Since(start)
			want := newResults()
			if err := want.add(t, out, false); err != nil || !want.done {
				t.Fatalf("uninterrupted run: %v, done %v", err, want.done)
			}

			rounds := 3
			if tt.control {
				rounds = 1
			}
			kills, resumes := 0, 0
			for round := 0; round < rounds; round++ {
				k, r, differed := crashRound(t, bin, common, took, rng, want)
				if k < 3 && rounds < 6 {
					// The uninterrupted run was slow (a busy machine) and
					// the kills came too late: aim earlier, and run again.
					took /= 2
					rounds++
				}
				if differed && tt.control {
					t.Log("the control differs, as it must")
					return
				}
				if differed {
					t.Fatal("state was not exactly once across the kills (see above)")
				}
				kills, resumes = kills+k, resumes+r
			}
			if tt.control {
				t.Fatal("the control, which applies an event twice on each restore, equals the uninterrupted run: the comparison cannot fail")
			}
			if kills < 2*rounds || resumes < 2*rounds {
				t.Fatalf("only %d kills and %d resumes from a checkpoint in %d rounds: the test proved too little", kills, resumes, rounds)
			}
		})
	}
}

// crashRound runs the job in a new directory, killing it with SIGKILL at
// random points until it finishes, and compares its results with want. It
// returns how many kills landed, at how many distinct offsets after the first
// checkpoint runs resumed, and whether the results differ; they are compared
// only when the job finished.
func crashRound(t *testing.T, bin string, common []string, took time.Duration, rng *rand.Rand, want *results) (kills, resumed int, differed bool) {
	t.Helper()
	dir := t.TempDir()
	got := newResults()
	const attempts = 12
	runs, reopened := 0, 0
	for attempt := 0; !got.done; attempt++ {
		var after time.Duration
		if attempt < attempts {
			// Anywhere from the start (kills during the restore) to a
			// third of a run, so that each run gets on but rarely ends.
			after = max(time.Duration(rng.Int64N(int64(took/3))), time.Millisecond)
		}
		out, errOut, killed := runJob(t, bin, append(common, "-dir", dir), after)
		runs++
		if bytes.Contains(errOut, []byte("opening Badger again")) {
			reopened++ // see openBadger in examples/state_demo
		}
		if killed {
			kills++
		}
		if err := got.add(t, out, killed); err != nil {
			t.Logf("run %d: %v", attempt, err)
			return kills, 0, true
		}
		if !killed && !got.done {
			t.Fatalf("run %d ended without being killed and without finishing", attempt)
		}
	}
	var offsets []int64 // distinct, after the first checkpoint
	for _, off := range got.resumes {
		if off > 0 && !slices.Contains(offsets, off) {
			offsets = append(offsets, off)
		}
	}
	t.Logf("%d runs, %d killed with SIGKILL, %d resumed at %v; %d windows fired again (same contents); "+
		"%d Badger directories opened again after an empty value log; uninterrupted run %v",
		runs, kills, len(got.resumes), got.resumes, got.repeats, reopened, took.Round(time.Millisecond))
	if d := got.diff(want); len(d) > 0 {
		t.Logf("the run with %d kills differs from the uninterrupted run:\n%s", kills, strings.Join(d, "\n"))
		return kills, len(offsets), true
	}
	verifyCheckpoints(t, filepath.Join(dir, "checkpoints"))
	return kills, len(offsets), false
}

// verifyCheckpoints checks that the kills left only whole, valid checkpoints.
func verifyCheckpoints(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if !strings.HasSuffix(e.Name(), ".ckpt") {
			continue
		}
		r, err := checkpoint.OpenFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Errorf("checkpoint %s: %v", e.Name(), err)
			continue
		}
		if err := r.Verify(context.Background()); err != nil {
			t.Errorf("checkpoint %s: %v", e.Name(), err)
		}
		r.Close()
	}
	if !slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, ".ckpt") }) {
		t.Errorf("no checkpoint in %s: %v", dir, names)
	}
}
